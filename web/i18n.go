package web

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
)

// languages the UI speaks; the first is the default.
var languages = []string{"zh-CN", "en"}

const langCookie = "lang"

// catalogue maps message keys to the text of one language. Texts may hold
// named placeholders such as {code}, filled by T (and by the page's script).
type catalogue map[string]string

func loadCatalogues(fsys fs.FS) (Catalogues, error) {
	cats := make(map[string]catalogue, len(languages))
	for _, lang := range languages {
		b, err := fs.ReadFile(fsys, "i18n/"+lang+".json")
		if err != nil {
			return nil, err
		}
		var c catalogue
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("i18n/%s.json: %w", lang, err)
		}
		cats[lang] = c
	}
	return cats, nil
}

// T returns the text for key with placeholders filled from name, value pairs.
// An unknown key is an error, so a template that uses one fails its tests
// rather than showing a key to a resident.
func (c catalogue) T(key string, args ...any) (string, error) {
	s, ok := c[key]
	if !ok {
		return "", fmt.Errorf("no message %q", key)
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+fmt.Sprint(args[i])+"}", fmt.Sprint(args[i+1]))
	}
	return s, nil
}

// pickLang chooses the language of a page: ?lang= (then remembered in a
// cookie), else the cookie, else Accept-Language when it prefers English over
// Chinese, else zh-CN.
func pickLang(w http.ResponseWriter, r *http.Request) string {
	if q := r.URL.Query().Get("lang"); q != "" {
		if lang, ok := matchLang(q); ok {
			http.SetCookie(w, &http.Cookie{
				Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
			})
			return lang
		}
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if lang, ok := matchLang(c.Value); ok {
			return lang
		}
	}
	return fromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// matchLang maps a language tag (zh, zh-Hans-CN, en-GB, …) to a UI language.
func matchLang(tag string) (string, bool) {
	primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	switch primary {
	case "zh":
		return "zh-CN", true
	case "en":
		return "en", true
	}
	return "", false
}

// fromAcceptLanguage picks the supported language with the highest weight,
// the earlier one on a tie; zh-CN when none is listed.
func fromAcceptLanguage(header string) string {
	best, bestQ := languages[0], 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(part, ";")
		lang, ok := matchLang(tag)
		if !ok {
			continue
		}
		q := 1.0
		if v, found := strings.CutPrefix(strings.TrimSpace(params), "q="); found {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

// Catalogues are the UI's messages in every language it speaks, for text
// written outside a page (notifications), so every word lives in the one
// catalogue.
type Catalogues map[string]catalogue

// LoadCatalogues reads the embedded catalogues.
func LoadCatalogues() (Catalogues, error) { return loadCatalogues(files) }

// Text returns message key in lang (zh-CN for a language the UI does not
// speak) with placeholders filled from name, value pairs.
func (cs Catalogues) Text(lang, key string, args ...any) (string, error) {
	c, ok := cs[lang]
	if !ok {
		c = cs[languages[0]]
	}
	return c.T(key, args...)
}
