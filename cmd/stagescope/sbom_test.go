package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// validateCycloneDX checks a BOM against the CycloneDX 1.6 JSON Schema.
func validateCycloneDX(t *testing.T, data []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	for _, f := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "cyclonedx", f))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+f, doc); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("BOM is not JSON: %v", err)
	}
	if err := sch.Validate(v); err != nil {
		t.Fatalf("BOM does not follow the CycloneDX 1.6 schema: %v", err)
	}
}

func TestCycloneDX(t *testing.T) {
	t.Parallel()
	r := stagescope(t, "inspect", "-o", "cyclonedx", testImage)
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	validateCycloneDX(t, []byte(r.stdout))
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(strings.NewReader(r.stdout), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	if bom.SpecVersion != cdx.SpecVersion1_6 {
		t.Errorf("spec version %v, want 1.6", bom.SpecVersion)
	}
	type comp struct {
		PURL, BuildOnly, Layer string
	}
	got := map[string]comp{}
	for _, c := range *bom.Components {
		var k comp
		k.PURL = c.PackageURL
		for _, p := range *c.Properties {
			switch p.Name {
			case "stagescope:buildOnly":
				k.BuildOnly = p.Value
			case "stagescope:layer":
				k.Layer = p.Value
			}
		}
		got[c.Name] = k
	}
	// leftovers.tar: Debian 12; libyaml-dev installed by layer 2 (a build
	// tool), @types/ms an npm devDependency of /app (layer 3).
	for name, want := range map[string]comp{
		"libyaml-dev": {"pkg:deb/debian/libyaml-dev@0.2.5-1?arch=amd64&distro=debian-12", "true", "2"},
		"libyaml-0-2": {"pkg:deb/debian/libyaml-0-2@0.2.5-1?arch=amd64&distro=debian-12", "false", "2"},
		"@types/ms":   {got["@types/ms"].PURL, "true", "3"},
		"ms":          {got["ms"].PURL, "false", "3"},
		"base-files":  {got["base-files"].PURL, "false", "0"},
	} {
		if diff := cmp.Diff(want, got[name]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	if p := got["@types/ms"].PURL; !strings.HasPrefix(p, "pkg:npm/%40types/ms@") {
		t.Errorf("@types/ms purl %q, want pkg:npm/%%40types/ms@…", p)
	}
}
