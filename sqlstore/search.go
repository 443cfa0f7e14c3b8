package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/civicgrid/civicgrid"
)

// The search index (search.go, 0023_search.sql). Modules write their
// documents here in the transaction that writes the text: indexDoc for a
// new or rewritten item, appendText for words added to one (a case's note).

func init() { afterMigration[23] = backfillSearch }

// indexDoc writes a document (replacing the item's earlier one, which
// keeps its position). fresh says the item is new: nothing to replace.
func (db *DB) indexDoc(ctx context.Context, tx *Tx, d civicgrid.SearchDoc, fresh bool) error {
	args, tokens := searchRow(d)
	var id int64
	upsert := ` ON CONFLICT (kind, ref_id) DO UPDATE SET area_code = excluded.area_code, owner_id = excluded.owner_id,
		public = excluded.public, title = excluded.title, body = excluded.body, audience = excluded.audience`
	if fresh {
		upsert = ""
	}
	if db.dialect == Postgres {
		args = append(args, tsvectorLiteral(tokens))
		if !fresh {
			upsert += `, tokens = excluded.tokens`
		}
		return tx.QueryRowContext(ctx, `INSERT INTO search_docs (kind, ref_id, area_code, owner_id, public, title, body, at, audience, tokens)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::tsvector)`+upsert+` RETURNING id`, args...).Scan(&id)
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO search_docs (kind, ref_id, area_code, owner_id, public, title, body, at, audience)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`+upsert+` RETURNING id`, args...).Scan(&id); err != nil {
		return err
	}
	return db.putFTS(ctx, tx, id, tokens, fresh)
}

// searchRow is a document's row of search_docs (kind, ref_id, area_code,
// owner_id, public, title, body, at, audience) and its tokens: its words'
// and its scope tokens.
func searchRow(d civicgrid.SearchDoc) ([]any, []string) {
	tokens := append(civicgrid.SearchTokens(d.Title+"\n"+d.Body), scopeTokens(d.Area, d.Owner, d.Public)...)
	if g, ok := groupToken(d.Audience); ok {
		tokens = append(tokens, g)
	}
	return []any{d.Kind, d.Ref, d.Area, d.Owner, d.Public, d.Title, d.Body, d.At.UnixMilli(), d.Audience}, tokens
}

// dropDoc takes an item's document out of the index (nothing when it has
// none).
func (db *DB) dropDoc(ctx context.Context, tx *Tx, kind string, ref int64) error {
	if db.dialect == SQLite {
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_fts WHERE rowid IN (SELECT id FROM search_docs WHERE kind = $1 AND ref_id = $2)`, kind, ref); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM search_docs WHERE kind = $1 AND ref_id = $2`, kind, ref)
	return err
}

// putFTS writes a document's tokens into SQLite's FTS5 table.
func (db *DB) putFTS(ctx context.Context, tx *Tx, id int64, tokens []string, fresh bool) error {
	if !fresh {
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_fts WHERE rowid = $1`, id); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO search_fts (rowid, tokens) VALUES ($1, $2)`, id, strings.Join(tokens, " "))
	return err
}

// appendText adds words to an item's document (nothing when the item has
// none).
func (db *DB) appendText(ctx context.Context, tx *Tx, kind string, ref int64, text string) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	var id, owner int64
	var title, body, area string
	var public bool
	err := tx.QueryRowContext(ctx, `SELECT id, title, body, area_code, owner_id, public FROM search_docs WHERE kind = $1 AND ref_id = $2`,
		kind, ref).Scan(&id, &title, &body, &area, &owner, &public)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	body += "\n" + text
	tokens := append(civicgrid.SearchTokens(title+"\n"+body), scopeTokens(area, owner, public)...)
	if db.dialect == Postgres {
		_, err := tx.ExecContext(ctx, `UPDATE search_docs SET body = $1, tokens = $2::tsvector WHERE id = $3`, body, tsvectorLiteral(tokens), id)
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE search_docs SET body = $1 WHERE id = $2`, body, id); err != nil {
		return err
	}
	return db.putFTS(ctx, tx, id, tokens, false)
}

// Scope tokens: besides its words a document is indexed under each
// subtree it lies in ("a" and the subtree's prefix: the city's four
// digits, then 6, 9, 12, 15 digits and the whole code), its own area ("e"
// and the code), its owner ("u" and the id) and, if public, "zpub". Words
// are indexed as one or two characters, so these longer tokens never meet
// a word. The query asks for any of the caller's (the union over the
// kinds: a superset of what they may read), so the engine intersects the
// matches with the reach itself instead of reading every match of a
// common word to filter it; the SQL filter after it decides exactly, kind
// by kind.
func scopeTokens(area string, owner int64, public bool) []string {
	var out []string
	for _, n := range subtreeLengths {
		if n < len(area) {
			out = append(out, "a"+area[:n])
		}
	}
	if area != "" {
		out = append(out, "a"+area, "e"+area)
	}
	if owner != 0 {
		out = append(out, "u"+strconv.FormatInt(owner, 10))
	}
	if public {
		out = append(out, "zpub")
	}
	return out
}

// groupToken is the scope token of a document addressed to a group (a
// team: civicgrid.TeamTag): "g" and the tag's letters and digits
// ("gteam42"); ok false for an audience of roles.
func groupToken(tag string) (string, bool) {
	if !strings.HasPrefix(tag, "team:") {
		return "", false
	}
	return "gteam" + strings.TrimPrefix(tag, "team:"), true
}

// subtreeLengths are the lengths of the subtree prefixes of area codes
// (civicgrid.SubtreePrefix: a city's four digits, a district's six, …).
var subtreeLengths = []int{4, 6, 9, 12, 15}

// subtreeToken is the scope token of the subtree of root, ok false when
// root's prefix is not one a document is indexed under.
func subtreeToken(root string) (string, bool) {
	p := civicgrid.SubtreePrefix(root)
	if p == "" || (!slices.Contains(subtreeLengths, len(p)) && len(p) < 19) {
		return "", false
	}
	return "a" + p, true
}

// tsvectorLiteral writes tokens as PostgreSQL's tsvector input: each
// lexeme once, with the positions of the bigrams (phrase queries need them;
// PostgreSQL keeps at most 256 positions a lexeme, each at most 16383).
func tsvectorLiteral(tokens []string) string {
	pos := map[string][]int{}
	var order []string
	for i, t := range tokens {
		ps, seen := pos[t]
		if !seen {
			order = append(order, t)
		}
		if len([]rune(t)) == 2 && len(ps) < 255 && i < 16383 {
			ps = append(ps, i+1)
		}
		pos[t] = ps
	}
	var b strings.Builder
	for _, t := range order {
		b.WriteByte('\'')
		b.WriteString(strings.NewReplacer(`'`, `''`, `\`, `\\`).Replace(t))
		b.WriteByte('\'')
		for j, p := range pos[t] {
			if j == 0 {
				b.WriteByte(':')
			} else {
				b.WriteByte(',')
			}
			fmt.Fprint(&b, p)
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// matchExpr is the query in the engine's syntax: the terms as FTS5
// phrases ("ab bc" AND "c") or a tsquery ('ab' <-> 'bc' & 'c'), and with
// them any of the scope tokens (none: no scope). The tokens are letters
// and digits only (civicgrid.ParseSearch, scopeTokens), so they cannot
// carry the engines' operators; they are quoted all the same.
func (db *DB) matchExpr(terms [][]string, scope []string) string {
	pg := db.dialect == Postgres
	quote := func(tok string) string {
		if pg {
			return "'" + strings.NewReplacer(`'`, `''`, `\`, `\\`).Replace(tok) + "'"
		}
		return `"` + strings.ReplaceAll(tok, `"`, `""`) + `"`
	}
	and, or := " AND ", " OR "
	if pg {
		and, or = " & ", " | "
	}
	parts := make([]string, 0, len(terms)+1)
	for _, t := range terms {
		if pg {
			q := make([]string, len(t))
			for j, tok := range t {
				q[j] = quote(tok)
			}
			parts = append(parts, "("+strings.Join(q, " <-> ")+")")
		} else {
			parts = append(parts, quote(strings.Join(t, " ")))
		}
	}
	if len(scope) > 0 {
		qs := make([]string, len(scope))
		for i, tok := range scope {
			qs[i] = quote(tok)
		}
		parts = append(parts, "("+strings.Join(qs, or)+")")
	}
	return strings.Join(parts, and)
}

// Search finds the documents matching every term that the query's reach
// lets the caller read, newest first.
func (db *DB) Search(ctx context.Context, q civicgrid.SearchQuery) ([]civicgrid.SearchHit, error) {
	if len(q.Terms) == 0 {
		return nil, civicgrid.Errorf(civicgrid.EINVALID, "search: no terms")
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	matchArg := arg("") // filled in below, with the scope
	var from, where string
	if db.dialect == Postgres {
		// The matches come from the GIN index, then sort (OFFSET 0 keeps
		// the planner from walking the primary key backwards instead,
		// which reads the whole table when a word is rare in the reach).
		from = `(SELECT * FROM search_docs WHERE tokens @@ ` + matchArg + `::tsquery OFFSET 0) d`
		where = `TRUE`
	} else {
		// The FTS table drives: it walks its matches by rowid, newest
		// first, and each is checked against the filters.
		from = `search_fts f CROSS JOIN search_docs d`
		where = `search_fts MATCH ` + matchArg + ` AND d.id = f.rowid`
	}
	after := q.After
	if after <= 0 {
		after = math.MaxInt64
	}
	pos := "d.id"
	if db.dialect == SQLite {
		pos = "f.rowid"
	}
	afterArg := arg(after)
	where += ` AND ` + pos + ` < ` + afterArg
	// Who may read what: per kind, the reach the policy gives the caller.
	var vis []string
	var scope []string // any of these scope tokens
	exact := true      // every kind's reach is expressed in scope tokens
	kinds := q.Kinds
	if kinds == nil {
		for _, k := range civicgrid.SearchKinds {
			kinds = append(kinds, k.Name)
		}
	}
	for _, k := range kinds {
		r, ok := q.Reach[k]
		if !ok || r.None() {
			continue
		}
		var ors []string
		var anyOf []string
		// An audience grant reaches as an overlap does (then its role).
		overlap := slices.Clone(r.Overlap)
		for _, g := range r.Audience {
			overlap = append(overlap, g.AreaCode)
		}
		for _, root := range append(slices.Clone(r.Subtree), overlap...) {
			tok, ok := subtreeToken(root)
			if !ok {
				exact = false
			}
			anyOf = append(anyOf, tok)
		}
		for _, code := range overlap {
			for _, a := range ancestors(code) {
				anyOf = append(anyOf, "e"+a)
			}
		}
		if r.Own && q.UserID != 0 {
			anyOf = append(anyOf, "u"+strconv.FormatInt(q.UserID, 10))
		}
		for _, tag := range r.Groups {
			tok, ok := groupToken(tag)
			if !ok {
				exact = false
			}
			anyOf = append(anyOf, tok)
		}
		for _, tok := range anyOf {
			if !slices.Contains(scope, tok) {
				scope = append(scope, tok)
			}
		}
		if len(r.Subtree) > 0 {
			ors = append(ors, scopeClause("d.area_code", r.Subtree, arg))
		}
		if len(r.Overlap) > 0 {
			ors = append(ors, scopeClause("d.area_code", r.Overlap, arg))
			var anc []string
			for _, code := range r.Overlap {
				for _, a := range ancestors(code) {
					anc = append(anc, arg(a))
				}
			}
			ors = append(ors, "d.area_code IN ("+strings.Join(anc, ", ")+")")
		}
		if r.Own && q.UserID != 0 {
			ors = append(ors, "d.owner_id = "+arg(q.UserID))
		}
		for _, g := range r.Audience {
			anc := []string{}
			for _, a := range ancestors(g.AreaCode) {
				anc = append(anc, arg(a))
			}
			ors = append(ors, "(("+scopeClause("d.area_code", []string{g.AreaCode}, arg)+" OR d.area_code IN ("+strings.Join(anc, ", ")+
				")) AND (d.audience = '*' OR d.audience LIKE "+arg("%,"+g.Role+",%")+"))")
		}
		if len(r.Groups) > 0 {
			tags := make([]string, len(r.Groups))
			for i, tag := range r.Groups {
				tags[i] = arg(tag)
			}
			ors = append(ors, "d.audience IN ("+strings.Join(tags, ", ")+")")
		}
		vis = append(vis, "(d.kind = "+arg(k)+" AND ("+strings.Join(ors, " OR ")+"))")
	}
	pub := make([]string, len(kinds))
	for i, k := range kinds {
		pub[i] = arg(k)
	}
	vis = append(vis, "(d.public AND d.kind IN ("+strings.Join(pub, ", ")+"))")
	scope = append(scope, "zpub")
	if !exact {
		scope = nil // the SQL filter alone decides
	}
	args[0] = db.matchExpr(q.Terms, scope)
	where += ` AND (` + strings.Join(vis, " OR ") + `)`
	if q.Within != "" {
		where += ` AND ` + scopeClause("d.area_code", []string{q.Within}, arg)
	}
	if !q.From.IsZero() {
		where += ` AND d.at >= ` + arg(q.From.UnixMilli())
	}
	if !q.To.IsZero() {
		where += ` AND d.at < ` + arg(q.To.UnixMilli())
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	limitArg := arg(limit)
	run := func(from, where string, pin bool) ([]civicgrid.SearchHit, error) {
		sqlText := `SELECT d.id, d.kind, d.ref_id, d.area_code, d.title, d.body, d.at FROM ` + from +
			` WHERE ` + where + ` ORDER BY ` + pos + ` DESC LIMIT ` + limitArg
		if searchTrace != nil {
			searchTrace(sqlText, args, pin)
		}
		scan := func(sc rowScanner) (civicgrid.SearchHit, error) {
			var h civicgrid.SearchHit
			var at int64
			err := sc.Scan(&h.Pos, &h.Kind, &h.Ref, &h.Area, &h.Title, &h.Body, &at)
			h.At = time.UnixMilli(at)
			return h, err
		}
		if !pin {
			rows, err := db.rd.QueryContext(ctx, sqlText, args...)
			if err != nil {
				return nil, err
			}
			return collect(rows, scan)
		}
		// The GIN index, never a scan of the whole table: see SearchPinGIN.
		tx, err := db.rd.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, pinGIN); err != nil {
			return nil, err
		}
		rows, err := tx.QueryContext(ctx, sqlText, args...)
		if err != nil {
			return nil, err
		}
		return collect(rows, scan)
	}
	if db.dialect == Postgres && SearchProbe > 0 {
		// LIMIT first: the newest SearchProbe documents below the cursor,
		// by the primary key backwards, each checked. A common word in
		// reach fills the page from them without the GIN index gathering
		// and sorting every match of the word; when the page is full it is
		// exactly the newest matches (any other lies further back). Else
		// the GIN plan below answers.
		probe := `(SELECT * FROM search_docs WHERE id < ` + afterArg + ` ORDER BY id DESC LIMIT ` + strconv.Itoa(SearchProbe) + `) d`
		hs, err := run(probe, `d.tokens @@ `+matchArg+`::tsquery AND `+where, false)
		if err != nil || len(hs) == limit {
			return hs, err
		}
	}
	return run(from, where, db.dialect == Postgres && SearchPinGIN)
}

// SearchPinGIN makes PostgreSQL answer a search from the GIN index, never
// by reading the whole table (false: the planner chooses; the benchmark
// compares). The planner prices the GIN scan by the lengths of every
// lexeme's posting list, the scope tokens' too (a district's lies in a
// third of the documents), so for a rare phrase it chose a parallel scan
// of the whole table, rechecking each document's tsvector: about a
// second at 10⁶ documents, where the index's fast scan skips through the
// long lists by the short ones. docs/benchmarks.md has the plans.
var SearchPinGIN = true

// pinGIN keeps one read-only transaction's search off sequential scans.
const pinGIN = `SET LOCAL enable_seqscan = off`

// searchTrace, when set (benchmarks only), is told each query Search runs,
// to EXPLAIN it.
var searchTrace func(sql string, args []any, pinned bool)

// SearchProbe is how many of the newest documents PostgreSQL checks one by
// one before it asks the GIN index (0: never; the benchmark compares).
var SearchProbe = 2000

// ancestors lists the codes an area code may have above it (the city's,
// and every leading part of six digits or more): an object at one of them
// overlaps a grant over code.
func ancestors(code string) []string {
	var out []string
	if len(code) >= 4 {
		out = append(out, code[:4]+"00")
	}
	for n := 6; n <= len(code); n++ {
		out = append(out, code[:n])
	}
	return out
}

// clearSearch empties the search index.
func (db *DB) clearSearch(ctx context.Context, tx *Tx) error {
	if db.dialect == SQLite {
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_fts`); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM search_docs`)
	return err
}

// SearchIndexSize reports the bytes of the index's text (titles and
// bodies) and of the whole index (documents, tokens and their indexes),
// for the benchmarks.
func (db *DB) SearchIndexSize(ctx context.Context) (text, index int64, err error) {
	if err = db.rd.QueryRowContext(ctx, `SELECT COALESCE(SUM(LENGTH(CAST(title AS BLOB)) + LENGTH(CAST(body AS BLOB))), 0) FROM search_docs`).Scan(&text); err != nil && db.dialect == Postgres {
		err = db.rd.QueryRowContext(ctx, `SELECT COALESCE(SUM(octet_length(title) + octet_length(body)), 0) FROM search_docs`).Scan(&text)
	}
	if err != nil {
		return
	}
	if db.dialect == Postgres {
		err = db.rd.QueryRowContext(ctx, `SELECT pg_total_relation_size('search_docs')`).Scan(&index)
		return
	}
	err = db.rd.QueryRowContext(ctx, `SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name LIKE 'search%' OR name = 'sqlite_autoindex_search_docs_1'`).Scan(&index)
	return
}

// backfillSearch indexes the texts stored before the index existed, in
// the migration's transaction: cases (description and notes), requests for
// help (their note) and proposals (title and body), merged by the time
// they were made so that positions follow time.
func backfillSearch(ctx context.Context, db *DB, tx *Tx) error {
	var docs []civicgrid.SearchDoc
	rows, err := tx.QueryContext(ctx, `SELECT id, building, poster_id, service, note, created_at FROM volunteer_requests ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var d civicgrid.SearchDoc
		var at int64
		if err := rows.Scan(&d.Ref, &d.Area, &d.Owner, &d.Title, &d.Body, &at); err != nil {
			rows.Close()
			return err
		}
		d.Kind, d.At = "help", time.UnixMilli(at)
		d.Title = helpTitle(d.Title)
		docs = append(docs, d)
	}
	rows.Close()
	if rows, err = tx.QueryContext(ctx, `SELECT id, area_code, title, body, created_at FROM cogov_proposals ORDER BY id`); err != nil {
		return err
	}
	for rows.Next() {
		var d civicgrid.SearchDoc
		var at int64
		if err := rows.Scan(&d.Ref, &d.Area, &d.Title, &d.Body, &at); err != nil {
			rows.Close()
			return err
		}
		d.Kind, d.At = "proposal", time.UnixMilli(at)
		docs = append(docs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	sort.SliceStable(docs, func(i, j int) bool { return docs[i].At.Before(docs[j].At) })
	put := func(d civicgrid.SearchDoc) error { return db.indexDoc(ctx, tx, d, true) }
	// Cases, a page at a time (PostgreSQL reads one result at a time on a
	// connection), each with its notes.
	var after int64
	for {
		page, err := casePage(ctx, tx, after, 2000)
		if err != nil {
			return err
		}
		for _, c := range page {
			for len(docs) > 0 && docs[0].At.Before(c.At) {
				if err := put(docs[0]); err != nil {
					return err
				}
				docs = docs[1:]
			}
			if err := put(c); err != nil {
				return err
			}
		}
		if len(page) < 2000 {
			break
		}
		after = page[len(page)-1].Ref
	}
	for _, d := range docs {
		if err := put(d); err != nil {
			return err
		}
	}
	return nil
}

// casePage reads cases above id after as search documents, with notes.
func casePage(ctx context.Context, tx *Tx, after int64, n int) ([]civicgrid.SearchDoc, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, grid_code, COALESCE(reporter_id, 0), description, created_at FROM cases WHERE id > $1 ORDER BY id LIMIT $2`, after, n)
	if err != nil {
		return nil, err
	}
	var page []civicgrid.SearchDoc
	at := map[int64]int{}
	for rows.Next() {
		var d civicgrid.SearchDoc
		var ms int64
		if err := rows.Scan(&d.Ref, &d.Area, &d.Owner, &d.Body, &ms); err != nil {
			rows.Close()
			return nil, err
		}
		d.Kind, d.At = "case", time.UnixMilli(ms)
		at[d.Ref] = len(page)
		page = append(page, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(page) == 0 {
		return page, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT case_id, note FROM case_events WHERE case_id > $1 AND case_id <= $2 AND note <> '' ORDER BY case_id, seq`,
		after, page[len(page)-1].Ref)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var note string
		if err := rows.Scan(&id, &note); err != nil {
			return nil, err
		}
		if i, ok := at[id]; ok {
			page[i].Body += "\n" + note
		}
	}
	return page, rows.Err()
}

// helpTitle names a request for help by its service's name.
func helpTitle(service string) string {
	if s, ok := civicgrid.LookupVolunteerService(service); ok {
		return s.NameZH
	}
	return service
}

// caseDoc is a case's search document.
func caseDoc(c civicgrid.Case) civicgrid.SearchDoc {
	return civicgrid.SearchDoc{Kind: "case", Ref: c.ID, Area: c.GridCode, Owner: c.ReporterID, Body: c.Description, At: c.CreatedAt}
}
