package reliability

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// The binaries the process-level tests run, built once per test binary.
var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds cmd/grantledger and cmd/glcrash into a temporary
// directory on first use and returns the paths of the two programs.
func binaries(t *testing.T) (grantledger, glcrash string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "grantledger-reliability-bin-")
		if buildErr != nil {
			return
		}
		gobin, err := exec.LookPath("go")
		if err != nil {
			gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		cmd := exec.Command(gobin, "build", "-o", binDir+string(filepath.Separator),
			"github.com/grantledger/grantledger/cmd/grantledger",
			"github.com/grantledger/grantledger/cmd/glcrash")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = errors.New("go build: " + err.Error() + "\n" + out.String())
		}
	})
	if buildErr != nil {
		t.Fatalf("building the programs under test: %v", buildErr)
	}
	return filepath.Join(binDir, "grantledger"), filepath.Join(binDir, "glcrash")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// runCLI runs the grantledger program with args and returns its stdout,
// stderr and exit code.
func runCLI(t *testing.T, stdin []byte, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	gl, _ := binaries(t)
	cmd := exec.Command(gl, args...)
	cmd.Env = append(os.Environ(), "GRANTLEDGER_STORE=", "GRANTLEDGER_DB=")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run grantledger %v: %v", args, err)
	}
	return o.String(), e.String(), code
}
