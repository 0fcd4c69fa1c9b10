package entrycache

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
)

type fileKind int

const (
	fileMissing fileKind = iota // no file
	fileEmpty                   // zero bytes, or an SQLite database without tables
	fileOurs                    // has lafs_meta
	fileLegacy                  // the original tool's: has object_cache
	fileForeign                 // some other SQLite database
)

const sqliteMagic = "SQLite format 3\x00"

// probe classifies the file at path without writing to it.
func probe(ctx context.Context, path string, busy time.Duration) (fileKind, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fileMissing, nil
	}
	if err != nil {
		return 0, fmt.Errorf("entry cache %s: %w", path, err)
	}
	head := make([]byte, len(sqliteMagic))
	n, err := io.ReadFull(f, head)
	f.Close()
	switch {
	case n == 0 && (err == io.EOF):
		return fileEmpty, nil
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return 0, fmt.Errorf("entry cache %s: %w", path, err)
	case !bytes.Equal(head[:n], []byte(sqliteMagic)):
		return 0, fmt.Errorf("entry cache %s: %w: not an SQLite database (damaged, or the wrong path); restore it or move it aside and start a new cache",
			path, ErrSchema)
	}
	tables, err := listTables(ctx, path, busy)
	if err != nil {
		if d := damaged(err); d != err {
			return 0, fmt.Errorf("entry cache %s: %w", path, d)
		}
		return 0, fmt.Errorf("entry cache %s: %w: cannot read it: %v", path, ErrSchema, err)
	}
	return classify(tables), nil
}

func classify(tables map[string]bool) fileKind {
	switch {
	case tables["lafs_meta"]:
		return fileOurs
	case tables["object_cache"]:
		return fileLegacy
	case len(tables) == 0:
		return fileEmpty
	}
	return fileForeign
}

// openReadOnly opens path through SQLite without any PRAGMA that could
// write (no journal_mode change): used on files that must not change.
func openReadOnly(path string, busy time.Duration) (*sql.DB, error) {
	db, err := sql.Open("sqlite", fileURI(path)+"?mode=ro"+busyParam(busy))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func listTables(ctx context.Context, path string, busy time.Duration) (map[string]bool, error) {
	db, err := openReadOnly(path, busy)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tables := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		tables[name] = true
	}
	return tables, rows.Err()
}

// fileURI turns an absolute path into an SQLite "file:" URI, escaping the
// characters that URIs give a meaning (SQLite decodes %HH in the path).
func fileURI(path string) string {
	var b strings.Builder
	b.WriteString("file:")
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c == '%' || c == '?' || c == '#' || c < 0x21 || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
