// The Kubernetes provider plugin (pulumi-resource-kubernetes), served from the provider module
// the Go module proxy holds. Upstream's main embeds generated, minified copies of the schema and
// the Terraform mapping that are not in the module zip; this one embeds the originals
// (cmd/pulumi-resource-kubernetes/schema.json and terraform-mapping.json), which
// toolchain/install.sh copies next to this file before `go build`.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema.json
var pulumiSchema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
