-- Schema version 5: each evaluation also keeps, computed while its subject results were written, the hash
-- over every subject's findings and the elements its plan releases to anyone. Deciding and approving a
-- million-subject request then reads them instead of scanning the results again. Evaluations made before
-- this version have neither and are recomputed when next used.

ALTER TABLE evaluations ADD COLUMN findings_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE evaluations ADD COLUMN released_items TEXT NOT NULL DEFAULT '';
