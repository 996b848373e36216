package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// decodeOutput reads one written output back the way the operator does.
func decodeOutput(t *testing.T, str []byte, encoding string) []byte {
	t.Helper()
	var s string
	if err := json.Unmarshal(str, &s); err != nil {
		t.Fatalf("not a JSON string: %v", err)
	}
	if encoding == EncodingUTF8 {
		return []byte(s)
	}
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("not standard base64: %v", err)
	}
	return data
}

func TestOutputEncodingKeepsEveryByteWithinFourThirds(t *testing.T) {
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	long := strings.Repeat("línea <b>&amp;</b> \"q\" \\ \u2028\n", 5000) // > textChunk, runes cut at chunk ends
	cases := []struct {
		name, data, want string
	}{
		{"empty", "", EncodingUTF8},
		{"plain text", "3\n", EncodingUTF8},
		{"HTML characters stay themselves", "a<b>&c", EncodingUTF8},
		{"multi-byte text", long, EncodingUTF8},
		{"a few control bytes", "tab\there\r\n", EncodingUTF8},
		{"control bytes only", strings.Repeat("\x01", 1000), EncodingBase64},
		{"quotes only", strings.Repeat(`"`, 999), EncodingBase64},
		{"invalid UTF-8", "ok \xff\xfe bytes", EncodingBase64},
		{"every byte value", string(allBytes), EncodingBase64},
		{"rune cut at the end", "abc\xe2\x82", EncodingBase64},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := []byte(c.data)
			enc := OutputEncoding(data)
			if enc != c.want {
				t.Fatalf("encoding = %s, want %s", enc, c.want)
			}
			var buf bytes.Buffer
			if err := writeOutput(&buf, data, enc); err != nil {
				t.Fatal(err)
			}
			if got := decodeOutput(t, buf.Bytes(), enc); !bytes.Equal(got, data) {
				t.Fatalf("decoded %q, want %q", got, data)
			}
			if limit := base64.StdEncoding.EncodedLen(len(data)) + 2; buf.Len() > limit {
				t.Fatalf("the string has %d bytes for %d of output, more than base64's %d", buf.Len(), len(data), limit)
			}
		})
	}
}

func TestWrittenTextIsWhatEncodingJSONWouldWriteWithoutHTMLEscaping(t *testing.T) {
	text := strings.Repeat("<tag a=\"1\">x & y</tag>\t\u00e9\u2028\n", 3000)
	var got bytes.Buffer
	if err := writeOutput(&got, []byte(text), EncodingUTF8); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	enc.Encode(text)
	if got.String()+"\n" != want.String() {
		t.Fatal("the chunked escaping differs from encoding/json's")
	}
	if !strings.Contains(got.String(), `<tag a=\"1\">x & y</tag>`) {
		t.Fatalf("HTML characters were escaped: %.80s", got.String())
	}
}
