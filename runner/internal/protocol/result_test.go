package protocol

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden documents in testdata/")

const goldenResult = "testdata/result.golden.json"

func TestResultWriterStreamsTheDocument(t *testing.T) {
	zero, nine := 0, 9
	limit := LimitMemory
	var buf bytes.Buffer
	w := NewResultWriter(&buf)
	w.Compile(CompileResult{ExitCode: &zero, Output: []byte("warning: <x>\n")})
	w.Test(TestResult{Name: "a&b", Run: Run{ExitCode: &zero, Stdout: []byte("3\n"), Stderr: []byte{0xff}}})
	w.Test(TestResult{Name: "2", Run: Run{Signal: &nine, LimitExceeded: &limit, MemoryKiB: 70000}})
	if err := w.Finish(nil); err != nil {
		t.Fatal(err)
	}
	doc := buf.String()
	if strings.Count(doc, "\n") != 1 || !strings.HasSuffix(doc, "}\n") {
		t.Fatalf("want one line ending the document: %q", doc)
	}
	// The golden document is the contract with the operator: its TypeScript parser's tests read
	// the same file (src/sandbox/runner-protocol.test.ts). Rewrite it with -update.
	if *update {
		if err := os.WriteFile(goldenResult, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenResult)
	if err != nil {
		t.Fatalf("%v (write it with: go test ./internal/protocol -run TestResultWriterStreamsTheDocument -update)", err)
	}
	if doc != string(want) {
		t.Fatalf("document\n%s\nwant (%s)\n%s", doc, goldenResult, want)
	}
}

func TestResultWriterWithOnlyAnError(t *testing.T) {
	var buf bytes.Buffer
	msg := "job document is empty: give <a> JSON object"
	if err := NewResultWriter(&buf).Finish(&msg); err != nil {
		t.Fatal(err)
	}
	if want := `{"compile":null,"tests":[],"error":"job document is empty: give <a> JSON object"}` + "\n"; buf.String() != want {
		t.Fatalf("document %s, want %s", buf.String(), want)
	}
	var parsed map[string]any
	if err := json.Unmarshal(buf.Bytes(), &parsed); err != nil {
		t.Fatal(err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, bytes.ErrTooLarge }

func TestResultWriterReportsAFailedWrite(t *testing.T) {
	w := NewResultWriter(failingWriter{})
	w.Test(TestResult{Name: "1", Run: Run{Stdout: bytes.Repeat([]byte("x"), 1<<20)}})
	if err := w.Finish(nil); err == nil {
		t.Fatal("Finish returned no error although nothing could be written")
	}
}

func TestResultWriterWritesTheCheckerAfterTheCompileStep(t *testing.T) {
	zero, one := 0, 1
	var buf bytes.Buffer
	w := NewResultWriter(&buf)
	w.CheckerCompile(CompileResult{ExitCode: &zero, Output: []byte("ok")})
	w.Test(TestResult{Name: "1", Run: Run{ExitCode: &zero, Stdout: []byte("3\n")}, Checker: &Run{ExitCode: &one, Stderr: []byte("wrong answer")}})
	if err := w.Finish(nil); err != nil {
		t.Fatal(err)
	}
	want := `{"compile":null,"checkerCompile":{"exitCode":0,"signal":null,"outputTruncated":false,"cpuTimeMillis":0,"wallTimeMillis":0,"limitExceeded":null,"output":"ok","outputEncoding":"utf8"},` +
		`"tests":[{"name":"1","exitCode":0,"signal":null,"cpuTimeMillis":0,"wallTimeMillis":0,"memoryKiB":0,"stdoutTruncated":false,"stderrTruncated":false,"limitExceeded":null,"stdout":"3\n","stdoutEncoding":"utf8","stderr":"","stderrEncoding":"utf8",` +
		`"checker":{"exitCode":1,"signal":null,"cpuTimeMillis":0,"wallTimeMillis":0,"memoryKiB":0,"stdoutTruncated":false,"stderrTruncated":false,"limitExceeded":null,"stdout":"","stdoutEncoding":"utf8","stderr":"wrong answer","stderrEncoding":"utf8"}}],` +
		`"error":null}` + "\n"
	if buf.String() != want {
		t.Fatalf("document\n%s\nwant\n%s", buf.String(), want)
	}
}
