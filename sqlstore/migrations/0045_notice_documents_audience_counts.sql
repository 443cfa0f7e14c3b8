-- Notices (notice.go, docs/notices.md). A notice's documents (PDF files
-- kept with the photos, by their content's hash): a JSON list of
-- {"ref","name","bytes"}, '' for none.
ALTER TABLE notices ADD COLUMN documents TEXT NOT NULL DEFAULT '';
