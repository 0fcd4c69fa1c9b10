package queue

import "github.com/lafs-backup/lafs-backup/fsmeta"

// pathLister is a test filesystem addressed by absolute paths.
type pathLister interface {
	ReadDir(path string) ([]DirEntry, error)
	Read(path string, opts fsmeta.Options) (fsmeta.Meta, error)
}

// openPathDir is FS.OpenDir for a pathLister: the directory is listed
// when it is opened, so a listing error is an open error, as with a
// descriptor that cannot be opened.
func openPathDir(l pathLister, p string) (Dir, error) {
	ents, err := l.ReadDir(p)
	if err != nil {
		return nil, err
	}
	return &pathDir{l: l, path: p, ents: ents}, nil
}

type pathDir struct {
	l    pathLister
	path string
	ents []DirEntry
}

func (d *pathDir) List() ([]DirEntry, error) { return d.ents, nil }

func (d *pathDir) Read(name string, opts fsmeta.Options) (fsmeta.Meta, error) {
	return d.l.Read(joinAbs(d.path, name), opts)
}

func (d *pathDir) OpenDir(name string) (Dir, error) { return openPathDir(d.l, joinAbs(d.path, name)) }

func (d *pathDir) Close() error { return nil }
