package main_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestOutputsKeepEveryByteAndTheResultStaysSmall(t *testing.T) {
	bin := compileC(t, "bytes_out", `
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
	if (!strcmp(argv[1], "all")) { for (int i = 0; i < 256; i++) putchar(i); }
	if (!strcmp(argv[1], "html")) { fputs("<b>&\"x\"</b>\n", stdout); fputs("\xe4\xbd\xa0\xe5\xa5\xbd\n", stderr); }
	if (!strcmp(argv[1], "control")) { for (int i = 0; i < 1 << 20; i++) putchar(1); }
	return 0;
}`)
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	t.Run("every byte value", func(t *testing.T) {
		inv := run(t, newWorkdir(t), singleTest([]string{bin, "all"}, "", defaultLimits()))
		r := inv.result.Tests[0]
		if r.StdoutEncoding != "base64" || r.Stdout != string(allBytes) {
			t.Fatalf("stdout (%s) decodes to %q, want the 256 byte values", r.StdoutEncoding, r.Stdout)
		}
	})
	t.Run("HTML characters and UTF-8 as themselves", func(t *testing.T) {
		inv := run(t, newWorkdir(t), singleTest([]string{bin, "html"}, "", defaultLimits()))
		r := inv.result.Tests[0]
		if r.StdoutEncoding != "utf8" || r.Stdout != "<b>&\"x\"</b>\n" || r.StderrEncoding != "utf8" || r.Stderr != "你好\n" {
			t.Fatalf("stdout %s %q, stderr %s %q", r.StdoutEncoding, r.Stdout, r.StderrEncoding, r.Stderr)
		}
		if !strings.Contains(inv.raw, `"stdout":"<b>&\"x\"</b>\n"`) || !strings.Contains(inv.raw, `"stderr":"你好\n"`) {
			t.Fatalf("the document escapes more than JSON needs: %s", inv.raw)
		}
	})
	t.Run("1 MiB of control bytes", func(t *testing.T) {
		inv := run(t, newWorkdir(t), singleTest([]string{bin, "control"}, "", defaultLimits().with("outputBytes", 1<<20)))
		r := inv.result.Tests[0]
		if r.StdoutEncoding != "base64" || r.Stdout != strings.Repeat("\x01", 1<<20) {
			t.Fatalf("stdout (%s) has %d bytes, want 1 MiB of \\x01", r.StdoutEncoding, len(r.Stdout))
		}
		// JSON-escaped, each byte would have taken six ("\u0001").
		if max := (1<<20)*4/3 + 4096; len(inv.raw) > max {
			t.Fatalf("the result has %d bytes for 1 MiB of output, want at most %d", len(inv.raw), max)
		}
	})
	t.Run("compile output", func(t *testing.T) {
		job := singleTest([]string{"true"}, "", defaultLimits())
		job["compile"] = map[string]any{"command": []string{"printf", `\377\376 not text`}}
		inv := run(t, newWorkdir(t), job)
		if c := inv.result.Compile; c == nil || c.OutputEncoding != "base64" || c.Output != "\xff\xfe not text" {
			t.Fatalf("compile = %+v, want the bytes back through base64", inv.result.Compile)
		}
	})
}

func TestResultIsValidJSONForEveryOutput(t *testing.T) {
	// The raw document, decoded without the helpers, holds exactly the contract's fields.
	inv := run(t, newWorkdir(t), singleTest([]string{"printf", `a\000b\033[1m`}, "", defaultLimits()))
	var doc map[string]any
	if err := json.NewDecoder(bytes.NewReader([]byte(inv.raw))).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	test := doc["tests"].([]any)[0].(map[string]any)
	for _, field := range []string{"stdoutEncoding", "stderrEncoding"} {
		if enc, _ := test[field].(string); enc != "utf8" && enc != "base64" {
			t.Errorf("%s = %v, want utf8 or base64", field, test[field])
		}
	}
	if got := inv.result.Tests[0].Stdout; got != "a\x00b\x1b[1m" {
		t.Fatalf("stdout decodes to %q", got)
	}
}
