package notices

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/webhook"
)

// Group robots: a community, grid or street connects its work group by the
// robot webhook of WeCom (企业微信群机器人) or DingTalk (钉钉自定义机器人).
// A new notice gets one delivery row per robot within its scope; the
// delivery loop posts it, retrying with a doubling wait, and records the
// outcome (at least once: a group may see a notice twice after a lost
// answer). What is posted is the notice's title, text and link — never who
// posted it, who read it or anyone's name or phone.

// AddRobot connects a work group: https only, to a public address (unless
// AllowPrivate, which also lets plain http reach a loopback receiver); a
// DingTalk secret is sealed with the server's key.
func (s *Service) AddRobot(ctx context.Context, actor civicgrid.Actor, in civicgrid.RobotInput) (civicgrid.NoticeRobot, error) {
	r, u, err := in.Check(s.cfg.AllowPrivate)
	if err != nil {
		return r, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageRobots, civicgrid.In(r.AreaCode)); err != nil {
		return r, err
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := webhook.CheckHost(cctx, s.cfg.Resolver, u.Hostname(), s.cfg.AllowPrivate); err != nil {
		return r, &civicgrid.Error{Code: civicgrid.EINVALID, Message: "the group robot is not valid",
			Problems: []civicgrid.Problem{{Index: -1, Kind: "url", Detail: err.Error()}}}
	}
	if secret := strings.TrimSpace(in.Secret); secret != "" {
		if r.SealedSecret, err = s.seal(secret); err != nil {
			return r, err
		}
	}
	// The first group to hear of cases starts the case log's cursor at its
	// end, read before the group is stored: it hears only of what happens
	// after (see hears), and walking a long history (10⁶ cases: thousands
	// of writes) to find nothing to post would hold the writer.
	caseEnd := int64(-1)
	if end, ok := s.cfg.CaseLog.(caseLogEnd); ok && (r.NewCases || r.OverdueCases) {
		if caseEnd, err = end.LastEventID(ctx); err != nil {
			return r, err
		}
	}
	r.CreatedBy, r.CreatedAt = actor.UserID, s.now()
	if r, err = s.store.CreateRobot(ctx, r); err != nil {
		return r.Redacted(), err
	}
	if caseEnd >= 0 {
		// Only where no cursor is yet (an earlier group's stands).
		if _, err := s.store.EnqueueRobotPosts(ctx, feedCases, 0, caseEnd, nil, s.now()); err != nil {
			return r.Redacted(), err
		}
	}
	return r.Redacted(), nil
}

// caseLogEnd is a case log that tells its last event id (sqlstore's does).
type caseLogEnd interface {
	LastEventID(ctx context.Context) (int64, error)
}

// Robots lists the robots of an area's subtree.
func (s *Service) Robots(ctx context.Context, actor civicgrid.Actor, within string) ([]civicgrid.NoticeRobot, error) {
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageRobots, civicgrid.In(within)); err != nil {
		return nil, err
	}
	rs, err := s.store.Robots(ctx, []string{within})
	for i := range rs {
		rs[i] = rs[i].Redacted()
	}
	return rs, err
}

// robot returns a robot the actor may manage; another is not found.
func (s *Service) robot(ctx context.Context, actor civicgrid.Actor, id int64) (civicgrid.NoticeRobot, error) {
	r, err := s.store.RobotByID(ctx, id)
	if err != nil {
		return r, err
	}
	if err := civicgrid.Authorize(actor, civicgrid.ActionManageRobots, r.Object()); err != nil {
		return r, civicgrid.Errorf(civicgrid.ENOTFOUND, "no group robot %d", id)
	}
	return r, nil
}

// StopRobot disconnects a group: nothing more is posted there.
func (s *Service) StopRobot(ctx context.Context, actor civicgrid.Actor, id int64) error {
	if _, err := s.robot(ctx, actor, id); err != nil {
		return err
	}
	return s.store.DisableRobot(ctx, id)
}

// Deliveries lists a robot's deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, actor civicgrid.Actor, id int64) ([]civicgrid.RobotDelivery, error) {
	if _, err := s.robot(ctx, actor, id); err != nil {
		return nil, err
	}
	return s.store.RobotDeliveries(ctx, id, 100)
}

// RobotMessage is the JSON body posted to a group for a notice (ItemMessage
// for the other kinds): the title,
// the text (cut to 1,500 characters) and the link; nothing else.
func RobotMessage(kind string, markdown bool, n civicgrid.Notice, link string) ([]byte, error) {
	body := n.Body
	if utf8.RuneCountInString(body) > 1500 {
		body = string([]rune(body)[:1500]) + "…"
	}
	prefix := ""
	if n.Priority == civicgrid.PriorityUrgent {
		prefix = "【紧急】"
	}
	title := prefix + "通知公告：" + n.Title
	var msg any
	switch {
	case !markdown:
		content := title + "\n" + body
		if link != "" {
			content += "\n" + link
		}
		msg = map[string]any{"msgtype": "text", "text": map[string]string{"content": content}}
	default:
		text := "### " + mdEscape(title) + "\n" + mdEscape(body)
		if link != "" {
			text += "\n\n[查看全文](" + link + ")"
		}
		if kind == civicgrid.RobotDingTalk {
			msg = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": title, "text": text}}
		} else {
			msg = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": text}}
		}
	}
	return json.Marshal(msg)
}

// mdEscape keeps a notice's words from being read as links or markup.
func mdEscape(s string) string {
	return strings.NewReplacer("[", "\\[", "]", "\\]", "(", "\\(", ")", "\\)", "<", "&lt;", ">", "&gt;").Replace(s)
}

// DingTalkSign is DingTalk's signature of a request at ts (Unix ms):
// base64(HMAC-SHA256(secret, ts + "\n" + secret)).
func DingTalkSign(secret string, ts int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignedURL adds DingTalk's timestamp and sign query parameters.
func SignedURL(raw, secret string, ts int64) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("timestamp", strconv.FormatInt(ts, 10))
	q.Set("sign", DingTalkSign(secret, ts))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Nudge wakes the delivery loop; it never blocks.
func (s *Service) Nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// DeliverDue posts the deliveries due now and records each outcome; it
// returns how many it attempted.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	now := s.now()
	ds, err := s.store.DueRobotDeliveries(ctx, now, now.Add(2*s.cfg.Timeout+10*time.Second), 20)
	if err != nil {
		return 0, err
	}
	for _, d := range ds {
		d.Attempts++
		errText := s.deliver(ctx, d)
		d.UpdatedAt = s.now()
		switch {
		case errText == withdrawnText:
			d.State, d.LastError, d.NextAt = civicgrid.RobotWithdrawn, errText, d.UpdatedAt
		case errText == "":
			d.State, d.LastError, d.NextAt = civicgrid.RobotDelivered, "", d.UpdatedAt
		case d.Attempts >= s.cfg.MaxAttempts:
			d.State, d.LastError, d.NextAt = civicgrid.RobotFailed, errText, d.UpdatedAt
		default:
			d.State, d.LastError, d.NextAt = civicgrid.RobotPending, errText, d.UpdatedAt.Add(s.backoff(d.Attempts))
		}
		if err := s.store.RecordRobotDelivery(ctx, d); err != nil {
			return len(ds), err
		}
	}
	return len(ds), nil
}

func (s *Service) backoff(n int) time.Duration {
	d := s.cfg.Backoff << min(n-1, 20)
	if d <= 0 || d > time.Hour {
		d = time.Hour
	}
	return time.Duration(float64(d) * (0.8 + 0.4*mathrand.Float64()))
}

// withdrawnText is deliver's answer for a notice withdrawn before it was
// posted.
const withdrawnText = "the notice was withdrawn"

// deliver posts one notice to one group: "" on success, else why not.
func (s *Service) deliver(ctx context.Context, d civicgrid.RobotDelivery) string {
	r, err := s.store.RobotByID(ctx, d.RobotID)
	if err != nil {
		return err.Error()
	}
	var body []byte
	if d.Item != nil {
		body, err = ItemMessage(r.Kind, r.Markdown, *d.Item, ItemLink(s.cfg.BaseURL, *d.Item))
	} else {
		var n civicgrid.Notice
		if n, err = s.store.NoticeByID(ctx, d.NoticeID); err != nil {
			return err.Error()
		}
		if n.Withdrawn {
			return withdrawnText // never posted, never retried
		}
		link := ""
		if s.cfg.BaseURL != "" {
			link = strings.TrimRight(s.cfg.BaseURL, "/") + "/announcements/" + strconv.FormatInt(n.ID, 10)
		}
		body, err = RobotMessage(r.Kind, r.Markdown, n, link)
	}
	if err != nil {
		return err.Error()
	}
	target := r.URL
	if r.Kind == civicgrid.RobotDingTalk && len(r.SealedSecret) > 0 {
		secret, err := s.unseal(r.SealedSecret)
		if err != nil {
			return "the robot's secret cannot be opened with this server's key"
		}
		if target, err = SignedURL(r.URL, secret, s.cfg.Now().UnixMilli()); err != nil {
			return err.Error()
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "civicgrid-robot/1")
	resp, err := s.client.Do(req)
	if err != nil {
		// The error names the URL, which carries the group's key: keep it out.
		return "the group's robot did not answer"
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	// Both answer 200 with {"errcode":0,"errmsg":"ok"}; a refusal has
	// another errcode.
	var res struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if json.Unmarshal(answer, &res) == nil && res.ErrCode != nil && *res.ErrCode != 0 {
		msg := res.ErrMsg
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return fmt.Sprintf("errcode %d: %s", *res.ErrCode, msg)
	}
	return ""
}

// Run delivers until ctx ends, waking on a nudge or every poll.
func (s *Service) Run(ctx context.Context, poll time.Duration) {
	if poll <= 0 {
		poll = 5 * time.Second
	}
	for {
		if _, err := s.EnqueueFeeds(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("notices: group robots' cases and requests", "error", err)
		}
		for {
			n, err := s.DeliverDue(ctx)
			if err != nil && ctx.Err() == nil {
				s.cfg.Log.Error("notices: group robots", "error", err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
			t.Stop()
		case <-t.C:
		}
	}
}
