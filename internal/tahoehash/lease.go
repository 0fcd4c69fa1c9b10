package tahoehash

// Tags of the lease secrets (hashutil.py). Note that the client secrets use
// the node's secret as the tag and the constant as the data.
var (
	tagClientRenewal = []byte("allmydata_client_renewal_secret_v1")
	tagClientCancel  = []byte("allmydata_client_cancel_secret_v1")
	tagFileRenewal   = []byte("allmydata_file_renewal_secret_v1")
	tagFileCancel    = []byte("allmydata_file_cancel_secret_v1")
	tagBucketRenewal = []byte("allmydata_bucket_renewal_secret_v1")
	tagBucketCancel  = []byte("allmydata_bucket_cancel_secret_v1")
)

// ClientRenewalSecret is my_renewal_secret_hash of the node's lease secret
// (the base32-decoded contents of private/secret).
func ClientRenewalSecret(nodeSecret []byte) Digest {
	return TaggedHash(nodeSecret, tagClientRenewal)
}

// ClientCancelSecret is my_cancel_secret_hash of the node's lease secret.
func ClientCancelSecret(nodeSecret []byte) Digest {
	return TaggedHash(nodeSecret, tagClientCancel)
}

// FileRenewalSecret is file_renewal_secret_hash(client, storage index).
func FileRenewalSecret(client Digest, si [KeySize]byte) Digest {
	return TaggedPairHash(tagFileRenewal, client[:], si[:])
}

// FileCancelSecret is file_cancel_secret_hash(client, storage index).
func FileCancelSecret(client Digest, si [KeySize]byte) Digest {
	return TaggedPairHash(tagFileCancel, client[:], si[:])
}

// BucketRenewalSecret is bucket_renewal_secret_hash(file, server id): the
// renew secret one server gets for one file. serverID is the server's lease
// seed: for foolscap and HTTPS servers alike Tahoe 1.20 uses its tub id, the
// base32-decoded id in its announced FURL (storage_client.py get_lease_seed).
func BucketRenewalSecret(file Digest, serverID [20]byte) Digest {
	return TaggedPairHash(tagBucketRenewal, file[:], serverID[:])
}

// BucketCancelSecret is bucket_cancel_secret_hash(file, server id).
func BucketCancelSecret(file Digest, serverID [20]byte) Digest {
	return TaggedPairHash(tagBucketCancel, file[:], serverID[:])
}
