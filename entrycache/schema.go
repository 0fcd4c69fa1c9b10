package entrycache

// The schema lives in this one file. migrations[i] takes a database from
// schema version i to i+1; version 0 is an empty file. A released migration
// is never edited: a change is a new entry at the end. The version is kept
// in lafs_meta('schema_version') and written in the same transaction as the
// migration, so a crash leaves either the old or the new version.
//
// Times are INTEGER unix nanoseconds (UTC); NULL means "never".
// Caps appear only in the columns named cap.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE lafs_meta (
	key   TEXT PRIMARY KEY NOT NULL,
	value ANY
) STRICT;

CREATE TABLE objects (
	id          INTEGER PRIMARY KEY,
	key         BLOB NOT NULL UNIQUE CHECK (length(key) = 32),
	cap         TEXT NOT NULL,
	kind        TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
	generation  INTEGER NOT NULL,
	size        INTEGER NOT NULL DEFAULT 0,
	stored_size INTEGER NOT NULL DEFAULT 0,
	enc         TEXT NOT NULL DEFAULT '',
	probe       REAL,
	uploaded_at INTEGER NOT NULL,
	renewed_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX objects_generation ON objects (generation);

CREATE TABLE runs (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	source     TEXT NOT NULL,
	generation INTEGER NOT NULL,
	started    INTEGER NOT NULL,
	finished   INTEGER,
	status     TEXT NOT NULL
) STRICT;
CREATE INDEX runs_source ON runs (source, id);
CREATE INDEX runs_generation ON runs (generation);

CREATE TABLE backups (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	name              TEXT NOT NULL,
	source            TEXT NOT NULL DEFAULT '',
	run_id            INTEGER REFERENCES runs (id) ON DELETE SET NULL,
	generation        INTEGER NOT NULL,
	cap               TEXT NOT NULL,
	started           INTEGER,
	finished          INTEGER NOT NULL,
	entries           INTEGER NOT NULL DEFAULT 0,
	files             INTEGER NOT NULL DEFAULT 0,
	bytes             INTEGER NOT NULL DEFAULT 0,
	status            TEXT NOT NULL,
	filter            TEXT NOT NULL DEFAULT '',
	checked_at        INTEGER,
	healthy_at        INTEGER,
	leases_renewed_at INTEGER,
	imported          INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX backups_generation ON backups (generation);
CREATE INDEX backups_name ON backups (name, finished);
CREATE INDEX backups_source ON backups (source, finished);
CREATE INDEX backups_cap ON backups (cap);
CREATE INDEX backups_run ON backups (run_id);
CREATE INDEX backups_leases ON backups (leases_renewed_at);

CREATE TABLE grid_servers (
	nodeid     TEXT PRIMARY KEY NOT NULL,
	first_seen INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO lafs_meta (key, value) VALUES ('generation_counter', 0);
`,
	// 2: subtree rows (docs/cache.md, Subtrees): a directory's cap keyed
	// by the metadata of everything below it, and the generation whose
	// rows hold what is inside.
	`
CREATE TABLE subtrees (
	id          INTEGER PRIMARY KEY,
	key         BLOB NOT NULL UNIQUE CHECK (length(key) = 32),
	cap         TEXT NOT NULL,
	generation  INTEGER NOT NULL,
	inner_gen   INTEGER NOT NULL,
	entries     INTEGER NOT NULL DEFAULT 0,
	recorded_at INTEGER NOT NULL,
	renewed_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX subtrees_generation ON subtrees (generation);
CREATE INDEX subtrees_inner_gen ON subtrees (inner_gen);
`,
	// 3: the directory a backup was made of (the match of source that
	// was picked); '' for backups recorded before, and imported ones.
	`
ALTER TABLE backups ADD COLUMN path TEXT NOT NULL DEFAULT '';
`,
	// 4: what a file row remembers of the file it was last read or reused
	// for (docs/cache.md, Change check): the source tree and the file's
	// ctime. NULL in rows written before: unknown, filled in by their next
	// use.
	`
ALTER TABLE objects ADD COLUMN tree INTEGER;
ALTER TABLE objects ADD COLUMN ctime_ns INTEGER;
`,
}

// SchemaVersion is the schema version this build writes.
const SchemaVersion = 4

func init() {
	if len(migrations) != SchemaVersion {
		panic("entrycache: SchemaVersion does not match the migrations list")
	}
}
