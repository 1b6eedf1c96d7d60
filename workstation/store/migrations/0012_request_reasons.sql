-- Schema version 12 (issue 15): how many subjects of a request give each reason, counted once when the request is
-- imported (a request's subjects never change) instead of at every evaluation. The REASON check compares reasons
-- folded for boilerplate (case, punctuation and spacing: `rules.subjects.reason_key`); only the reasons given by
-- more than one subject are kept (one given once is never shared beyond the limit, which is never below 0).
-- The requests already in the store are counted here, the way the importer counts (`dws_reason_key`: None for a
-- reason that is empty or only spaces).

CREATE TABLE request_reasons (
    rid       INTEGER NOT NULL REFERENCES requests(rid),
    reason    TEXT NOT NULL,            -- reason_key of the reason as written
    subjects  INTEGER NOT NULL,         -- subjects of the request that give it (2 or more)
    PRIMARY KEY (rid, reason)
) WITHOUT ROWID;
INSERT INTO request_reasons (rid, reason, subjects)
SELECT rid, folded, count(*) FROM (SELECT rid, dws_reason_key(reason) AS folded FROM subjects)
 WHERE folded IS NOT NULL GROUP BY rid, folded HAVING count(*) > 1;
