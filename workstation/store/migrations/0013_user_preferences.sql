-- Schema version 12 (issue 22): each user's display preferences (View › High contrast), kept with the store so
-- they follow the user from one workstation to the next. A preference changes nothing that is decided,
-- disclosed or logged: no evaluation goes stale when one changes.

CREATE TABLE user_preferences (
    user         TEXT NOT NULL REFERENCES users(name),
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,          -- JSON
    changed_at   TEXT NOT NULL,
    PRIMARY KEY (user, key)
);
