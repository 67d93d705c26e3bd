//go:build tools

// Keeps the CLI's command package in this wrapper module's build list; `go build` of
// github.com/pulumi/pulumi/pkg/v3/cmd/pulumi happens in toolchain/install.sh.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
