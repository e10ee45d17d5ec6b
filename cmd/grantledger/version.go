package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// shortHelp is what grantledger without a command prints (on stderr, exit 2).
const shortHelp = `Usage: grantledger <command> [flags]

Try:
  grantledger demo       load the seed scenarios and print their yearly reports
  grantledger help       every command, one line each
  grantledger <command> --help
`

// cmdVersion prints the module version, the VCS commit the binary was
// built from (as the Go toolchain records it), and the Go version.
func cmdVersion(ctx context.Context, a *app, args []string) error {
	fs := a.flags("version", "", `
Prints the module version (or "(devel)" for a build from a working tree),
the commit and its time as the Go toolchain recorded them (with "+modified"
when the working tree had changes), and the Go version.`)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return usagef("version takes no arguments")
	}
	fmt.Fprint(a.stdout, versionText())
	return nil
}

func versionText() string {
	mod, commit, when, modified := "(unknown)", "unknown", "", false
	goVersion := runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		mod = bi.Main.Path + " " + bi.Main.Version
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if modified {
		commit += "+modified"
	}
	if when != "" {
		commit += " (" + when + ")"
	}
	return fmt.Sprintf("grantledger %s\ncommit %s\n%s %s/%s\n", mod, commit, goVersion, runtime.GOOS, runtime.GOARCH)
}
