// Package tahoenode reads a Tahoe-LAFS client node directory (the
// gateway's), so that the direct uploader can act exactly as that gateway
// would: its convergence secret (same caps), its lease secret (same
// leases), its [client] encoding parameters, and the storage servers it
// knows with their HTTPS NURLs, permutation seeds and lease seeds, from the
// announcements it cached (private/introducer_*_cache.yaml) and its static
// servers (private/servers.yaml), as allmydata/client.py and
// storage_client.py read them.
//
// Node.LeaseSecrets derives the per-file, per-server lease secrets the
// gateway uses; Node.UploadSecret derives our deterministic upload secret
// (docs/storage-protocol.md).
//
// The package only reads the directory. Secrets are storageapi.Secret
// values, which print redacted; errors name the file and what is wrong
// with it, never a secret.
package tahoenode
