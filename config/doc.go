// Package config loads lafs-backup's layered YAML configuration.
//
// The embedded base (base-config.yaml at the module root) is read first, then
// every user file in order. Layering follows the Python tool:
//
//   - maps merge key by key;
//   - lists and scalars replace the earlier value as a whole (a list is never
//     appended to);
//   - a null (or empty) value replaces a scalar or a list, but an earlier map
//     is kept, and an empty map changes nothing.
//
// Every key is checked against the schema (the Config struct): an unknown key,
// a value of the wrong type or an invalid value is a Problem naming the file,
// line and dotted key. All problems of all files are reported at once, as a
// Problems error. Keys of the Python tool that only made sense there (Twisted
// pool options, logging dictConfig, manhole, ...) are accepted and produce a
// single Warning naming them.
//
// Relative paths resolve against the directory of the file that set them;
// when that differs from the current directory (which the Python tool used), a
// Warning says so.
//
// Library packages do not import config: the command line translates Config
// into each package's own options.
package config
