-- Full-text search (search.go, docs/search.md): one document per searchable
-- item of any module (a case, a request for help, a proposal), with the
-- area it lies in, its owner and whether it is public, so that the search
-- filters by the caller's reach in the query. The document's position (id)
-- orders results, newest first, and is the keyset cursor.
--
-- The text is indexed as app-computed tokens (civicgrid.SearchTokens):
-- every bigram of neighbouring letters and digits, in order, then every
-- distinct character, so that 1- and 2-character Chinese queries match
-- (a trigram tokenizer cannot) and longer ones match as a phrase of
-- bigrams. SQLite keeps them in a contentless FTS5 table whose rowid is the
-- document's id; PostgreSQL in a tsvector column with a GIN index, made
-- from a tsvector literal (no text search parser, so the cluster's locale
-- plays no part). The rows are written in the transaction that writes the
-- text; the existing texts are indexed by a step in Go after this file.
CREATE TABLE search_docs (
    id        @ID_PK@,
    kind      TEXT NOT NULL,
    ref_id    BIGINT NOT NULL,
    area_code TEXT NOT NULL,
    owner_id  BIGINT NOT NULL DEFAULT 0,
    public    BOOLEAN NOT NULL DEFAULT FALSE,
    title     TEXT NOT NULL DEFAULT '',
    body      TEXT NOT NULL,
    at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX search_docs_item ON search_docs (kind, ref_id);
-- dialect: sqlite
CREATE VIRTUAL TABLE search_fts USING fts5(tokens, content='', contentless_delete=1, tokenize='ascii');
-- dialect: postgres
ALTER TABLE search_docs ADD COLUMN tokens tsvector NOT NULL DEFAULT ''::tsvector;
CREATE INDEX search_docs_tokens ON search_docs USING GIN (tokens);
