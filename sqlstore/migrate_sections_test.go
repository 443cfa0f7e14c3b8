package sqlstore

import "testing"

func TestDialectSections(t *testing.T) {
	text := "CREATE TABLE a (x INT);\n-- dialect: sqlite\nCREATE VIRTUAL TABLE f USING fts5(t);\n-- dialect: postgres\nALTER TABLE a ADD COLUMN v tsvector;\n-- dialect: all\nCREATE INDEX i ON a (x);\n"
	if got, want := dialectSections(text, SQLite), "CREATE TABLE a (x INT);\nCREATE VIRTUAL TABLE f USING fts5(t);\nCREATE INDEX i ON a (x);\n"; got != want {
		t.Errorf("sqlite:\n%s\nwant\n%s", got, want)
	}
	if got, want := dialectSections(text, Postgres), "CREATE TABLE a (x INT);\nALTER TABLE a ADD COLUMN v tsvector;\nCREATE INDEX i ON a (x);\n"; got != want {
		t.Errorf("postgres:\n%s\nwant\n%s", got, want)
	}
}
