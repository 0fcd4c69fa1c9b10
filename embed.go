// Package lafsbackup holds what must live at the module root: the commented
// base configuration, embedded so the binary carries its own defaults.
package lafsbackup

import _ "embed"

// BaseConfig is base-config.yaml byte for byte: every configuration key with
// its default and a comment. The config package layers user files over it and
// "lafs-backup dump-config" prints it.
//
//go:embed base-config.yaml
var BaseConfig []byte
