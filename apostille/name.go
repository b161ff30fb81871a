package apostille

import "strings"

// The pieces of NanoWallet's entry names.
const (
	markerApostille       = " -- Apostille TX "
	markerApostilleSigned = " -- ApostilleSigned TX " // accepted by NanoWallet's audit; never written by it
	markerDate            = " -- Date "
	certificatePrefix     = "Certificate of "
	certificatePrefixBeta = "Apostille certificate of " // NanoWallet BETA 1.1.x
	markerCertTX          = " -- TX "
	dateLen               = len("2006-01-02")
	hashLen               = 64
)

// splitName splits an original file name the way NanoWallet's getFileName and
// getExtension do: base is the name without a final "." followed by one or
// more characters that are neither "." nor "/"; ext is everything after the
// last ".", or the whole name when it has no ".".
func splitName(original string) (base, ext string) {
	base = original
	if i := strings.LastIndexByte(original, '.'); i >= 0 && i < len(original)-1 && !strings.Contains(original[i+1:], "/") {
		base = original[:i]
	}
	ext = original
	if i := strings.LastIndexByte(original, '.'); i >= 0 {
		ext = original[i+1:]
	}
	return base, ext
}

// NotarizedName returns the name NanoWallet gives the notarized copy of the
// file original in its archive:
//
//	<base> -- Apostille TX <txHash> -- Date <date>.<ext>
//
// where base and ext are split the way NanoWallet splits them (a name
// without a dot gets itself as its extension: "README" becomes
// "README -- Apostille TX … .README").
func NotarizedName(original, txHash, date string) string {
	base, ext := splitName(original)
	return base + markerApostille + txHash + markerDate + date + "." + ext
}

// CertificateName returns the name of the certificate image NanoWallet puts
// beside the notarized file original:
//
//	Certificate of <base> -- TX <txHash> -- Date <date>.png
func CertificateName(original, txHash, date string) string {
	base, _ := splitName(original)
	return certificatePrefix + base + markerCertTX + txHash + markerDate + date + ".png"
}

// notarizedName is a parsed notarized entry name.
type notarizedName struct {
	base, ext, txHash, date string
}

// original returns the original file name the entry name implies: base + "."
// + ext, or base alone when ext is empty (the name ended with ".") or equals
// base (ambiguous between "README" and "README.README"; the shorter is far
// more likely, and the .nty record settles it when present).
func (n notarizedName) original() string {
	if n.ext == "" || n.ext == n.base {
		return n.base
	}
	return n.base + "." + n.ext
}

// parseNotarizedName parses the last path element of a notarized entry's
// name. It anchors at the end of the name, so a base that itself contains
// " -- " or an earlier apostille marker is kept whole. The date must be
// written as NanoWallet writes it, YYYY-MM-DD (digits, as given; not checked
// as a calendar date).
func parseNotarizedName(name string) (notarizedName, bool) {
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 {
		return notarizedName{}, false
	}
	ext, rest := name[dot+1:], name[:dot]
	rest, date, ok := cutDate(rest)
	if !ok {
		return notarizedName{}, false
	}
	rest, hash, ok := cutHash(rest)
	if !ok {
		return notarizedName{}, false
	}
	var base string
	switch {
	case strings.HasSuffix(rest, markerApostille):
		base = strings.TrimSuffix(rest, markerApostille)
	case strings.HasSuffix(rest, markerApostilleSigned):
		base = strings.TrimSuffix(rest, markerApostilleSigned)
	default:
		return notarizedName{}, false
	}
	return notarizedName{base: base, ext: ext, txHash: strings.ToLower(hash), date: date}, true
}

// parseCertificateName parses the last path element of a certificate entry's
// name and returns its base and transaction hash (lower case).
func parseCertificateName(name string) (base, txHash string, ok bool) {
	rest, ok := strings.CutSuffix(name, ".png")
	if !ok {
		return "", "", false
	}
	if rest, ok = strings.CutPrefix(rest, certificatePrefix); !ok {
		if rest, ok = strings.CutPrefix(name[:len(name)-len(".png")], certificatePrefixBeta); !ok {
			return "", "", false
		}
	}
	rest, _, ok = cutDate(rest)
	if !ok {
		return "", "", false
	}
	rest, hash, ok := cutHash(rest)
	if !ok {
		return "", "", false
	}
	base, ok = strings.CutSuffix(rest, markerCertTX)
	if !ok {
		return "", "", false
	}
	return base, strings.ToLower(hash), true
}

// cutDate removes " -- Date YYYY-MM-DD" from the end of s.
func cutDate(s string) (rest, date string, ok bool) {
	n := len(markerDate) + dateLen
	if len(s) < n || s[len(s)-n:len(s)-dateLen] != markerDate {
		return "", "", false
	}
	date = s[len(s)-dateLen:]
	for i := 0; i < dateLen; i++ {
		c := date[i]
		if i == 4 || i == 7 {
			if c != '-' {
				return "", "", false
			}
		} else if c < '0' || c > '9' {
			return "", "", false
		}
	}
	return s[:len(s)-n], date, true
}

// cutHash removes 64 hex characters from the end of s.
func cutHash(s string) (rest, hash string, ok bool) {
	if len(s) < hashLen {
		return "", "", false
	}
	hash = s[len(s)-hashLen:]
	for i := 0; i < hashLen; i++ {
		if !isHex(hash[i]) {
			return "", "", false
		}
	}
	return s[:len(s)-hashLen], hash, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// lastElement returns the last slash-separated element of an entry name.
func lastElement(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// safeName reports whether an entry name is a relative path that stays inside
// the archive: not empty, no leading "/", no drive letter, no backslash or
// NUL, no ".." element.
func safeName(name string) bool {
	if name == "" || name[0] == '/' || strings.ContainsAny(name, "\\\x00") {
		return false
	}
	if len(name) >= 2 && name[1] == ':' {
		return false
	}
	for el := range strings.SplitSeq(name, "/") {
		if el == ".." {
			return false
		}
	}
	return true
}
