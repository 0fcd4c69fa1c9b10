package storageapi_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"sync"
)

// vector is one of cbor2's encodings in testdata/cbor.json
// (testdata/gen_cbor.py).
func vector(name string) []byte {
	vectorsOnce.Do(func() {
		data, err := os.ReadFile("testdata/cbor.json")
		if err == nil {
			err = json.Unmarshal(data, &vectorHex)
		}
		if err != nil {
			panic(err)
		}
	})
	b, err := hex.DecodeString(vectorHex[name])
	if err != nil || len(b) == 0 {
		panic("no vector " + name)
	}
	return b
}

var (
	vectorsOnce sync.Once
	vectorHex   map[string]string
)
