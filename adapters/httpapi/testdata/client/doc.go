// Package client is where TestGeneratedClientCompiles writes the Go client
// oapi-codegen generates from /openapi.json, then builds it. The module pins
// oapi-codegen (a go.mod tool) and the runtime the generated code imports.
package client
