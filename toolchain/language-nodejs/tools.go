//go:build tools

// Keeps the Node.js language host's command package in this wrapper module's build list;
// `go build` of github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs happens in
// toolchain/install.sh.
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
