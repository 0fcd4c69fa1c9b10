package tahoenode

import (
	"github.com/lafs-backup/lafs-backup/internal/tahoehash"
	"github.com/lafs-backup/lafs-backup/storageapi"
)

// LeaseSecrets are the renew and cancel secrets the gateway of this node
// uses for storage index si on server s (allmydata/immutable/upload.py,
// checker.py): from the node's lease secret, the client secrets
// (client.py SecretHolder), then the file secrets for si, then the bucket
// secrets for the server's lease seed. Renewing with them renews the
// gateway's own lease instead of adding a second one. See
// docs/storage-protocol.md.
func (n *Node) LeaseSecrets(si storageapi.StorageIndex, s Server) storageapi.LeaseSecrets {
	secret := n.LeaseSecret.Bytes()
	fileRenew := tahoehash.FileRenewalSecret(tahoehash.ClientRenewalSecret(secret), si)
	fileCancel := tahoehash.FileCancelSecret(tahoehash.ClientCancelSecret(secret), si)
	renew := tahoehash.BucketRenewalSecret(fileRenew, s.LeaseSeed)
	cancel := tahoehash.BucketCancelSecret(fileCancel, s.LeaseSeed)
	return storageapi.LeaseSecrets{Renew: storageapi.NewSecret(renew[:]), Cancel: storageapi.NewSecret(cancel[:])}
}

// uploadSecretTag is ours, not Tahoe's: Tahoe's gateway picks random
// upload secrets.
var uploadSecretTag = []byte("lafs-backup_upload_secret_v1")

// UploadSecret is the upload secret for the shares of si that we place on
// server s: SHA-256d over netstring(tag), netstring(node lease secret),
// netstring(si), netstring(s.LeaseSeed).
// Being deterministic, it lets a rerun after a crash finish or abort the
// shares its predecessor left half-written; being per server, a server
// learns nothing it could use on another. See docs/storage-protocol.md.
func (n *Node) UploadSecret(si storageapi.StorageIndex, s Server) storageapi.Secret {
	h := tahoehash.NewTagged(uploadSecretTag)
	h.Write(tahoehash.Netstring(n.LeaseSecret.Bytes()))
	h.Write(tahoehash.Netstring(si[:]))
	h.Write(tahoehash.Netstring(s.LeaseSeed[:]))
	d := h.Sum()
	return storageapi.NewSecret(d[:])
}
