package server

import (
	"encoding/csv"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/casework"
)

// statusNamesZH names the statuses in Chinese for the CSV export.
var statusNamesZH = map[civicgrid.CaseStatus]string{
	civicgrid.StatusReported: "已上报", civicgrid.StatusRegistered: "已立案", civicgrid.StatusDispatched: "已派遣",
	civicgrid.StatusInProgress: "处置中", civicgrid.StatusHandled: "已处置", civicgrid.StatusVerified: "已核查",
	civicgrid.StatusClosed: "已结案", civicgrid.StatusRated: "已评价", civicgrid.StatusSuspended: "挂账中",
	civicgrid.StatusRejected: "不予受理", civicgrid.StatusMerged: "已合并", civicgrid.StatusCancelled: "已作废",
}

var lightNamesZH = map[string]string{"red": "已超时", "yellow": "即将超时", "green": "正常"}

// handleCasesCSV: GET /api/v1/cases.csv takes the filters of GET
// /api/v1/cases and writes every matching case the caller may read as CSV
// in UTF-8 with a byte order mark, so Excel opens the Chinese text
// correctly: all of them, read a page at a time and streamed, however many.
// Reporters are masked as in the JSON list. ?lang=en gives English headings
// and status names.
func (s *Server) handleCasesCSV(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lq, err := listQuery(q)
	if err != nil {
		writeError(w, r, err)
		return
	}
	en := q.Get("lang") == "en"
	ctx := r.Context()
	cats, err := s.cases.Categories(ctx)
	if err != nil {
		writeError(w, r, err)
		return
	}
	catName := map[string]string{}
	for _, c := range cats {
		catName[c.Code] = c.NameZH
		if en {
			catName[c.Code] = c.NameEN
		}
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(civicgrid.Beijing).Format("2006-01-02 15:04")
	}
	// Nothing is written before the first page is read, so a refused filter
	// is an ordinary error answer.
	var cw *csv.Writer
	start := func() {
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		setAttachment(w, "cases-"+s.now().In(civicgrid.Beijing).Format("20060102-1504")+".csv")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("\ufeff"))
		cw = csv.NewWriter(w)
		cw.UseCRLF = true // what Excel writes
		head := []string{"编号", "类别代码", "类别", "状态", "时限", "网格", "地址", "描述", "渠道", "上报时间", "受理时限", "处置时限", "结案时间", "评价", "同样反映"}
		if en {
			head = []string{"id", "category code", "category", "status", "deadline", "grid", "address", "description", "channel", "reported", "respond by", "resolve by", "closed", "rating", "me too"}
		}
		cw.Write(head)
	}
	n := 0
	err = s.cases.Each(ctx, actorFrom(r), lq, func(v casework.View) error {
		if cw == nil {
			start()
		}
		status, light := statusNamesZH[v.Status], lightNamesZH[v.Light]
		if en {
			status, light = string(v.Status), v.Light
		}
		rating := ""
		if v.Rating > 0 {
			rating = strconv.Itoa(v.Rating)
		}
		cw.Write([]string{strconv.FormatInt(v.ID, 10), v.Category, cell(catName[v.Category]), status, light, v.GridCode, cell(v.Address),
			cell(v.Description), v.Channel, when(v.CreatedAt), when(v.RespondBy), when(v.ResolveBy), when(v.ClosedAt), rating, strconv.Itoa(v.MeToo)})
		if n++; n%1000 == 0 {
			cw.Flush()
		}
		return cw.Error() // the client has gone
	})
	switch {
	case err != nil && cw == nil:
		writeError(w, r, err)
		return
	case cw == nil:
		start()
	case err != nil:
		// The answer has started: break the connection rather than end the
		// file, so that the client sees a failed download, not a complete
		// but short file.
		slog.WarnContext(r.Context(), "case export cut short", "rows", n, "err", err)
		panic(http.ErrAbortHandler)
	}
	cw.Flush()
}

// cell keeps a spreadsheet from reading text as a formula (CSV injection).
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
