package entrycache

import (
	"context"
	"testing"
)

// A cache of schema 2 is migrated in place: its backups keep their rows
// with no recorded path, and new backups record the directory picked.
func TestMigrateSchema2RecordsPath(t *testing.T) {
	path := t.TempDir() + "/cache.db"
	if err := createFile(path); err != nil {
		t.Fatal(err)
	}
	rawExec(t, path, migrations[0], migrations[1],
		`INSERT INTO lafs_meta (key, value) VALUES ('schema_version', 2)`,
		`INSERT INTO backups (name, source, generation, cap, finished, status) VALUES ('snap.1', '/s/snap.*', 1, 'URI:DIR2-CHK:old', 1, 'ok')`)
	db := openTest(t, path)
	ctx := context.Background()
	run, _ := mustBegin(t, db, "/s/snap.*", false)
	if _, err := db.RecordBackup(ctx, run, Backup{Name: "snap.2", Path: "/s/snap.2", Cap: "URI:DIR2-CHK:new", Status: StatusOK}); err != nil {
		t.Fatal(err)
	}
	bs, err := db.Backups(ctx, BackupFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0].Path != "" || bs[1].Path != "/s/snap.2" || bs[1].Source != "/s/snap.*" {
		t.Errorf("backups after the migration: %+v", bs)
	}
}
