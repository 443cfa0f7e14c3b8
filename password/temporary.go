package password

import "crypto/rand"

// Temporary makes a 12-character password without look-alike characters
// (no 0/O, 1/l/I), for an admin to read out or write down; its holder must
// change it at first login.
func Temporary() (string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		// 256 is not a multiple of 54: the first 40 letters come up a little
		// more often (5 vs 4 in 256), which costs well under a bit of entropy.
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}
