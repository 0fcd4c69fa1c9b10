package main

import (
	"context"
	"flag"

	lafsbackup "github.com/lafs-backup/lafs-backup"
)

var dumpConfigCommand = &command{
	Name:    "dump-config",
	Summary: "print the commented base configuration",
	Help: `Prints base-config.yaml, the defaults built into the binary, byte for byte:
every key with a comment saying what it does. Copy the keys you want to
change into your own file and pass it with -c.

With --effective, prints the configuration that results from layering the
-c files over the base instead, marking each value a file set with where
it was set. Relative paths are shown resolved; caps are redacted.`,
	Setup: func(fs *flag.FlagSet) runFunc {
		effective := fs.Bool("effective", false, "print the merged result of the -c files (caps redacted)")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return &usageError{"dump-config takes no arguments"}
			}
			out := lafsbackup.BaseConfig
			if *effective {
				out = e.Config.Effective()
			}
			_, err := e.Stdout.Write(out)
			return err
		}
	},
}
