package tahoenode_test

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/lafs-backup/lafs-backup/storageapi"
	"github.com/lafs-backup/lafs-backup/tahoenode"
)

// sha256d of netstrings, spelled out: the derivation docs/storage-protocol.md
// documents for upload secrets.
func documentedUploadSecret(nodeSecret []byte, si storageapi.StorageIndex, seed [20]byte) []byte {
	ns := func(b []byte) []byte { return append(fmt.Appendf(nil, "%d:", len(b)), append(b, ',')...) }
	var msg []byte
	for _, part := range [][]byte{[]byte("lafs-backup_upload_secret_v1"), nodeSecret, si[:], seed[:]} {
		msg = append(msg, ns(part)...)
	}
	inner := sha256.Sum256(msg)
	outer := sha256.Sum256(inner[:])
	return outer[:]
}

func TestUploadSecretIsDeterministicPerStorageIndexAndServer(t *testing.T) {
	n, err := tahoenode.Read(fixture("ok"))
	if err != nil {
		t.Fatal(err)
	}
	var si, si2 storageapi.StorageIndex
	si2[0] = 1
	a, b := n.Servers[0], n.Servers[1]
	up := n.UploadSecret(si, a)
	if want := documentedUploadSecret(fake("secret", 0), si, a.LeaseSeed); !up.Equal(storageapi.NewSecret(want)) {
		t.Error("upload secret differs from the documented derivation")
	}
	again, _ := tahoenode.Read(fixture("ok"))
	if !again.UploadSecret(si, a).Equal(up) {
		t.Error("not the same for the same node, storage index and server")
	}
	if n.UploadSecret(si2, a).Equal(up) || n.UploadSecret(si, b).Equal(up) {
		t.Error("the same for another storage index or server")
	}
	if l := n.LeaseSecrets(si, a); l.Renew.Len() != 32 || l.Cancel.Len() != 32 || l.Renew.Equal(l.Cancel) ||
		l.Renew.Equal(n.LeaseSecrets(si, b).Renew) || l.Renew.Equal(n.LeaseSecrets(si2, a).Renew) {
		t.Error("lease secrets are not 32 distinct bytes per storage index and server")
	}
}
