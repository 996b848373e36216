package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// Encodings of a captured output in the result document (the "...Encoding" fields).
const (
	EncodingUTF8   = "utf8"
	EncodingBase64 = "base64"
)

// textChunk is how much output is JSON-escaped at a time: writing an output holds at most a
// few times this much beyond the captured bytes themselves.
const textChunk = 32 << 10

// OutputEncoding picks how data goes into the result: the text itself when it is valid UTF-8
// and its JSON escaping is no longer than base64 would be, else base64. Either way no byte is
// lost and the string is at most 4/3 the size of data (plus padding).
func OutputEncoding(data []byte) string {
	if !utf8.Valid(data) {
		return EncodingBase64
	}
	if writeEscaped(&budget{left: base64.StdEncoding.EncodedLen(len(data))}, data) != nil {
		return EncodingBase64
	}
	return EncodingUTF8
}

// writeOutput writes data as one JSON string in the given encoding.
func writeOutput(w io.Writer, data []byte, encoding string) error {
	if _, err := io.WriteString(w, `"`); err != nil {
		return err
	}
	if encoding == EncodingBase64 {
		enc := base64.NewEncoder(base64.StdEncoding, w)
		if _, err := enc.Write(data); err != nil {
			return err
		}
		if err := enc.Close(); err != nil {
			return err
		}
	} else if err := writeEscaped(w, data); err != nil {
		return err
	}
	_, err := io.WriteString(w, `"`)
	return err
}

// writeEscaped writes valid UTF-8 text JSON-escaped, without the quotes, a chunk at a time.
// encoding/json does the escaping (with HTML escaping off), so the text is exactly what a
// JSON encoder would make of it.
func writeEscaped(w io.Writer, text []byte) error {
	var scratch bytes.Buffer
	enc := json.NewEncoder(&scratch)
	enc.SetEscapeHTML(false)
	for len(text) > 0 {
		n := min(len(text), textChunk)
		for n < len(text) && !utf8.RuneStart(text[n]) {
			n-- // end the chunk before a rune, never inside one
		}
		scratch.Reset()
		if err := enc.Encode(string(text[:n])); err != nil {
			return err
		}
		quoted := scratch.Bytes() // "...."\n
		if _, err := w.Write(quoted[1 : len(quoted)-2]); err != nil {
			return err
		}
		text = text[n:]
	}
	return nil
}

// budget is a writer that fails once more than left bytes were written to it: escaping
// stops as soon as it is known to be longer than base64.
type budget struct{ left int }

var errOverBudget = errors.New("longer than base64")

func (b *budget) Write(p []byte) (int, error) {
	if b.left -= len(p); b.left < 0 {
		return 0, errOverBudget
	}
	return len(p), nil
}
