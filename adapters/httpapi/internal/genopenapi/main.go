// Command genopenapi rewrites openapi.json (run by `go generate` in
// adapters/httpapi) with the schemas httpapi.GenerateOpenAPI builds from the
// Go types of the commands and reports.
package main

import (
	"fmt"
	"os"

	"github.com/grantledger/grantledger/adapters/httpapi"
)

func main() {
	const file = "openapi.json"
	in, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genopenapi:", err)
		os.Exit(1)
	}
	out, err := httpapi.GenerateOpenAPI(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genopenapi:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(file, out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genopenapi:", err)
		os.Exit(1)
	}
}
