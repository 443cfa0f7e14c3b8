package webpush

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// The receiving side, written from the RFCs with the standard library
// alone: what a browser does with a message and what a push service checks
// of the sender. Tests use them to judge what Push sends; they are the
// reference that the RFC 8291 example pins.

// Decrypt opens an aes128gcm message (RFC 8188) encrypted for a browser
// whose key is ua and whose authentication secret is auth (RFC 8291).
func Decrypt(ua *ecdh.PrivateKey, auth, body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("webpush: message shorter than its header")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idlen || rs < 18 {
		return nil, errors.New("webpush: malformed header")
	}
	asPublic, records := body[21:21+idlen], body[21+idlen:]
	as, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, fmt.Errorf("webpush: the sender's key: %v", err)
	}
	secret, err := ua.ECDH(as)
	if err != nil {
		return nil, err
	}
	info := append(append([]byte("WebPush: info\x00"), ua.PublicKey().Bytes()...), asPublic...)
	ikm, err := hkdf.Key(sha256.New, secret, auth, string(info), 32)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	// Push messages are one record (RFC 8291 section 4).
	if len(records) > int(rs) {
		return nil, errors.New("webpush: more than one record")
	}
	plain, err := gcm.Open(nil, nonce, records, nil)
	if err != nil {
		return nil, fmt.Errorf("webpush: cannot decrypt: %v", err)
	}
	// The content ends at the last delimiter: 2 for the last record,
	// followed only by zero padding.
	end := bytes.LastIndexFunc(plain, func(r rune) bool { return r != 0 })
	if end < 0 || plain[end] != 2 {
		return nil, errors.New("webpush: no last-record delimiter")
	}
	return plain[:end], nil
}

// VAPIDClaims are the claims of a VAPID token (RFC 8292 section 2).
type VAPIDClaims struct {
	Aud string `json:"aud"`
	Exp int64  `json:"exp"`
	Sub string `json:"sub"`
}

// VerifyVAPID checks an Authorization header as a push service would: the
// scheme "vapid t=<JWT>, k=<key>", k equal to the expected public key
// (base64url), an ES256 signature by it, aud equal to the push service's
// origin and an expiry in the future but within 24 hours of now.
func VerifyVAPID(header, publicKey, origin string, now time.Time) (VAPIDClaims, error) {
	var c VAPIDClaims
	params, ok := strings.CutPrefix(header, "vapid ")
	if !ok {
		return c, errors.New("vapid: not the vapid scheme")
	}
	var t, k string
	for _, p := range strings.Split(params, ",") {
		name, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch name {
		case "t":
			t = v
		case "k":
			k = v
		}
	}
	if k != publicKey {
		return c, errors.New("vapid: k is not the server's public key")
	}
	raw, err := base64.RawURLEncoding.DecodeString(k)
	if err != nil {
		return c, fmt.Errorf("vapid: k: %v", err)
	}
	pub, err := ecdsaKey(raw)
	if err != nil {
		return c, err
	}
	parts := strings.Split(t, ".")
	if len(parts) != 3 {
		return c, errors.New("vapid: t is not a JWT")
	}
	var head struct{ Alg, Typ string }
	if err := decodeSegment(parts[0], &head); err != nil || head.Alg != "ES256" {
		return c, fmt.Errorf("vapid: want an ES256 token, got %+v (%v)", head, err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return c, errors.New("vapid: the signature is not 64 bytes (r‖s)")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return c, errors.New("vapid: bad signature")
	}
	if err := decodeSegment(parts[1], &c); err != nil {
		return c, fmt.Errorf("vapid: claims: %v", err)
	}
	exp := time.Unix(c.Exp, 0)
	switch {
	case c.Aud != origin:
		return c, fmt.Errorf("vapid: aud %q is not %q", c.Aud, origin)
	case !exp.After(now):
		return c, fmt.Errorf("vapid: expired at %s", exp.UTC())
	case exp.After(now.Add(24 * time.Hour)):
		return c, fmt.Errorf("vapid: expires more than 24 hours ahead (%s)", exp.UTC())
	case !strings.HasPrefix(c.Sub, "mailto:") && !strings.HasPrefix(c.Sub, "https:"):
		return c, fmt.Errorf("vapid: sub %q is neither mailto: nor https:", c.Sub)
	}
	return c, nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
