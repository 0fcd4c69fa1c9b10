package storageapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"fmt"
)

// CertError is a refused server certificate. errors.Is(err,
// ErrWrongCertificate) matches it; the enclosing *Error names the server.
type CertError struct {
	Got, Want string // SPKI hashes, unpadded URL-safe base64; Got "" = no certificate
}

func (e *CertError) Error() string {
	if e.Got == "" {
		return ErrWrongCertificate.Error() + ": it sent none"
	}
	return fmt.Sprintf("%v: it presents key hash %s, the NURL pins %s", ErrWrongCertificate, e.Got, e.Want)
}

func (e *CertError) Is(target error) bool { return target == ErrWrongCertificate }

// pinnedTLS accepts exactly the server whose leaf certificate carries the
// public key n pins (RFC 7469 SPKI hash, as Tahoe's own client does):
// storage servers use self-signed certificates, so there is no CA and no
// host name to check, and Tahoe ignores validity dates too. The handshake
// itself proves the server holds the key's private half. See
// docs/storage-protocol.md.
func pinnedTLS(n NURL) *tls.Config {
	want := n.spki
	return &tls.Config{
		// Normal verification is replaced, not skipped: VerifyConnection
		// below runs on every handshake and refuses any other key.
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
		VerifyConnection: func(cs tls.ConnectionState) error {
			e := &CertError{Want: b64url.EncodeToString(want[:])}
			if len(cs.PeerCertificates) == 0 {
				return e
			}
			got := sha256.Sum256(cs.PeerCertificates[0].RawSubjectPublicKeyInfo)
			if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				e.Got = b64url.EncodeToString(got[:])
				return e
			}
			return nil
		},
	}
}
