package config

import (
	"strings"
	"testing"
)

func TestRedirectURIShapes(t *testing.T) {
	accepted := []string{
		"https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp",
		"https://contoso.b2clogin.com/8a2b9e61-3c4d-4e5f-9a0b-1c2d3e4f5a6b/oauth2/authresp",
		"https://login.contoso.com/contoso.onmicrosoft.com/oauth2/authresp",
		"https://login.contoso.com/8a2b9e61-3c4d-4e5f-9a0b-1c2d3e4f5a6b/oauth2/authresp",
		"https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1A_signup_signin/oauth2/authresp",
		"https://contoso.ciamlogin.com/8a2b9e61-3c4d-4e5f-9a0b-1c2d3e4f5a6b/federation/oauth2",
		"https://contoso.ciamlogin.com/contoso.onmicrosoft.com/federation/oauth2",
		"https://contoso.ciamlogin.com/login.contoso.com/federation/oauth2",
		"http://localhost:7073/callback",
		"http://127.0.0.1:8080/any/path?x=1",
	}
	for _, u := range accepted {
		if err := checkRedirectURI(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	refused := []struct{ uri, want string }{
		{"https://Contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp", `register "https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"`},
		{"https://contoso.b2clogin.com/Contoso.onmicrosoft.com/oauth2/authresp", `tenant in lowercase; register "https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"`},
		{"https://contoso.b2clogin.com/8A2B9E61-3C4D-4E5F-9A0B-1C2D3E4F5A6B/oauth2/authresp", "tenant in lowercase"},
		{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/OAuth2/AuthResp", "path in lowercase"},
		{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp?p=b2c_1a_signin", "must not have a query"},
		{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp?", "must not have a query"},
		{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp#x", "must not have a fragment"},
		{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp/", "must not end with '/'"},
		{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/callback", "not a B2C or External ID redirect URI"},
		{"https://contoso.b2clogin.com/oauth2/authresp", "not a B2C or External ID redirect URI"},
		{"https://contoso.b2clogin.com/contoso_tenant/oauth2/authresp", "is not a tenant"},
		{"https://contoso.ciamlogin.com/contoso.onmicrosoft.com/federation/oauth2/", "must not end with '/'"},
		{"http://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp", "must use https"},
		{"https://user:pw@contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp", "user name or password"},
		{"/oauth2/authresp", "not an absolute URL"},
	}
	for _, tt := range refused {
		err := checkRedirectURI(tt.uri)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.uri, err, tt.want)
		}
	}
}
