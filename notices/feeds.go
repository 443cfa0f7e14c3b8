package notices

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/civicgrid/civicgrid"
)

// Beyond notices, a group may choose to hear of new cases in its area,
// overdue cases (a missed deadline raised one a level) and requests for
// help opened to volunteers there. The case log is walked as the webhooks
// walk it, and volunteering's log through its HelpLog; each is read by one
// cursor of this module, moved in the transaction that queues the posts,
// so a post is queued once whatever the restarts. What is posted is the
// kind, the category or service, the area, the place with its numbers
// masked at most, and a link: never a name, phone, description or note.

// Log names (the cursors).
const (
	feedCases    = "cases"
	feedRequests = "requests"
	feedBatch    = 500
)

// EnqueueFeeds walks the case and request logs for the robots that chose
// them and queues their posts; it returns how many it queued. With no
// subscribed robot nothing is read.
func (s *Service) EnqueueFeeds(ctx context.Context) (int, error) {
	robots, err := s.store.SubscribedRobots(ctx)
	if err != nil || len(robots) == 0 {
		return 0, err
	}
	total := 0
	if s.cfg.CaseLog != nil && slicesAny(robots, func(r civicgrid.NoticeRobot) bool { return r.NewCases || r.OverdueCases }) {
		n, err := s.walk(ctx, feedCases, func(cursor int64) ([]civicgrid.RobotPost, int64, error) {
			return s.casePosts(ctx, robots, cursor)
		})
		total += n
		if err != nil {
			return total, err
		}
	}
	if s.cfg.Requests != nil && slicesAny(robots, func(r civicgrid.NoticeRobot) bool { return r.VolunteerRequests }) {
		n, err := s.walk(ctx, feedRequests, func(cursor int64) ([]civicgrid.RobotPost, int64, error) {
			return s.requestPosts(ctx, robots, cursor)
		})
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func slicesAny[T any](s []T, f func(T) bool) bool {
	for _, v := range s {
		if f(v) {
			return true
		}
	}
	return false
}

// walk reads a log from its cursor to the end, a batch at a time.
func (s *Service) walk(ctx context.Context, source string, read func(cursor int64) ([]civicgrid.RobotPost, int64, error)) (int, error) {
	total := 0
	for {
		from, err := s.store.RobotCursor(ctx, source)
		if err != nil {
			return total, err
		}
		posts, to, err := read(from)
		if err != nil || to == from {
			return total, err
		}
		moved, err := s.store.EnqueueRobotPosts(ctx, source, from, to, posts, s.now())
		if err != nil || !moved {
			return total, err // not moved: another instance took the stretch
		}
		total += len(posts)
		if len(posts) > 0 {
			s.Nudge()
		}
	}
}

// hears returns the robots of the area or above it that chose the kind,
// connected before at (a group hears of what happens after it chose).
func hears(robots []civicgrid.NoticeRobot, area string, kind string, at int64) []civicgrid.NoticeRobot {
	var out []civicgrid.NoticeRobot
	for _, r := range robots {
		want := (kind == civicgrid.RobotPostCase && r.NewCases) || (kind == civicgrid.RobotPostOverdue && r.OverdueCases) ||
			(kind == civicgrid.RobotPostRequest && r.VolunteerRequests)
		if want && strings.HasPrefix(area, r.AreaCode) && r.CreatedAt.UnixMilli() <= at {
			out = append(out, r)
		}
	}
	return out
}

func (s *Service) areaName(ctx context.Context, code string) string {
	if s.cfg.AreaName == nil {
		return ""
	}
	return s.cfg.AreaName(ctx, code)
}

// casePosts turns the case events after cursor into posts: a case
// reported (new) and a case escalated by a missed deadline (overdue).
func (s *Service) casePosts(ctx context.Context, robots []civicgrid.NoticeRobot, cursor int64) ([]civicgrid.RobotPost, int64, error) {
	evs, err := s.cfg.CaseLog.EventsAfter(ctx, cursor, feedBatch)
	if err != nil || len(evs) == 0 {
		return nil, cursor, err
	}
	var posts []civicgrid.RobotPost
	for _, le := range evs {
		ev, c := le.Event, le.Case
		var kind string
		key := c.ID
		switch ev.Action {
		case civicgrid.CaseReport:
			kind = civicgrid.RobotPostCase
		case civicgrid.CaseEscalate:
			kind, key = civicgrid.RobotPostOverdue, ev.ID
		default:
			continue
		}
		rs := hears(robots, c.GridCode, kind, ev.At.UnixMilli())
		if len(rs) == 0 {
			continue
		}
		item := civicgrid.RobotItem{Kind: kind, Ref: c.ID, Area: c.GridCode, AreaName: s.areaName(ctx, c.GridCode), Category: c.Category,
			Place: civicgrid.MaskPlace(c.Address), At: ev.At}
		if kind == civicgrid.RobotPostOverdue {
			item.Level = ev.Data["level"]
		}
		for _, r := range rs {
			posts = append(posts, civicgrid.RobotPost{RobotID: r.ID, Key: key, Item: item})
		}
	}
	return posts, evs[len(evs)-1].Event.ID, nil
}

// requestPosts turns the requests opened after cursor into posts.
func (s *Service) requestPosts(ctx context.Context, robots []civicgrid.NoticeRobot, cursor int64) ([]civicgrid.RobotPost, int64, error) {
	opened, to, err := s.cfg.Requests.OpenedAfter(ctx, cursor, feedBatch)
	if err != nil {
		return nil, cursor, err
	}
	var posts []civicgrid.RobotPost
	for _, o := range opened {
		rs := hears(robots, o.BuildingCode, civicgrid.RobotPostRequest, o.At.UnixMilli())
		if len(rs) == 0 {
			continue
		}
		item := civicgrid.RobotItem{Kind: civicgrid.RobotPostRequest, Ref: o.RequestID, Area: o.BuildingCode,
			AreaName: s.areaName(ctx, o.BuildingCode), Category: o.Service, Urgency: o.Urgency, At: o.At}
		for _, r := range rs {
			posts = append(posts, civicgrid.RobotPost{RobotID: r.ID, Key: o.RequestID, Item: item})
		}
	}
	return posts, to, nil
}

// ItemLink is the page of an item, absolute with the public address.
func ItemLink(base string, it civicgrid.RobotItem) string {
	if base == "" {
		return ""
	}
	if it.Kind == civicgrid.RobotPostRequest {
		return strings.TrimRight(base, "/") + "/volunteer" // the open requests, where volunteers claim
	}
	return strings.TrimRight(base, "/") + "/cases/" + strconv.FormatInt(it.Ref, 10)
}

// ItemMessage is the JSON body posted to a group for an item: a heading
// by kind, then category, area, place (masked), level or urgency, and the
// link — nothing that names or reaches a person.
func ItemMessage(kind string, markdown bool, it civicgrid.RobotItem, link string) ([]byte, error) {
	var title string
	switch it.Kind {
	case civicgrid.RobotPostCase:
		title = "新案件"
	case civicgrid.RobotPostOverdue:
		title = "案件逾期"
	case civicgrid.RobotPostRequest:
		title = "志愿服务需求"
	default:
		title = "提醒"
	}
	area := it.Area
	if it.AreaName != "" {
		area = it.AreaName + "（" + it.Area + "）"
	}
	lines := []string{}
	if it.Category != "" {
		if it.Kind == civicgrid.RobotPostRequest {
			lines = append(lines, "服务："+it.Category)
		} else {
			lines = append(lines, "类别："+it.Category)
		}
	}
	lines = append(lines, "区域："+area)
	if it.Place != "" {
		lines = append(lines, "位置："+it.Place)
	}
	if it.Level != "" {
		lines = append(lines, "升级至："+it.Level)
	}
	if it.Urgency != "" {
		lines = append(lines, "紧急程度："+it.Urgency)
	}
	lines = append(lines, "时间："+it.At.In(civicgrid.Beijing).Format("2006-01-02 15:04"))
	var msg any
	if !markdown {
		content := title + "\n" + strings.Join(lines, "\n")
		if link != "" {
			content += "\n" + link
		}
		msg = map[string]any{"msgtype": "text", "text": map[string]string{"content": content}}
	} else {
		for i := range lines {
			lines[i] = "- " + mdEscape(lines[i])
		}
		text := "### " + title + "\n" + strings.Join(lines, "\n")
		if link != "" {
			text += "\n\n[查看详情](" + link + ")"
		}
		if kind == civicgrid.RobotDingTalk {
			msg = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": title, "text": text}}
		} else {
			msg = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": text}}
		}
	}
	return json.Marshal(msg)
}
