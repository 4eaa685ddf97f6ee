package doctor

import "testing"

func TestSamePolicy(t *testing.T) {
	const rendered = `<?xml version="1.0" encoding="utf-8" ?>
<TrustFrameworkPolicy
  xmlns="http://schemas.microsoft.com/online/cpim/schemas/2013/06"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  PolicyId="B2C_1A_X" TenantId="c.onmicrosoft.com">
  <!-- why this file exists -->
  <BasePolicy>
    <PolicyId>B2C_1A_Base</PolicyId>
  </BasePolicy>
  <Item Key="a" Value="1">text &amp; more</Item>
</TrustFrameworkPolicy>
`
	tests := []struct {
		name             string
		stored           string
		same             bool
		line, storedLine int
	}{
		{"byte for byte", rendered, true, 0, 0},
		// As Microsoft's downloaded examples show it: no declaration, one-line root with
		// TenantObjectId, indented anew; here also CRLF, no comment, other attribute order,
		// another prefix, an entity written as a character reference, an empty text node.
		{"as B2C hands it back", "<TrustFrameworkPolicy xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" TenantId=\"c.onmicrosoft.com\" PolicyId=\"B2C_1A_X\" xmlns=\"http://schemas.microsoft.com/online/cpim/schemas/2013/06\" TenantObjectId=\"0000\">\r\n" +
			"    <BasePolicy><PolicyId>B2C_1A_Base</PolicyId></BasePolicy>\r\n" +
			"    <Item Value=\"1\" Key=\"a\">text &#38; more</Item>\r\n</TrustFrameworkPolicy>", true, 0, 0},
		{"an attribute value", `<TrustFrameworkPolicy xmlns="http://schemas.microsoft.com/online/cpim/schemas/2013/06" PolicyId="B2C_1A_X" TenantId="c.onmicrosoft.com">
<BasePolicy><PolicyId>B2C_1A_Base</PolicyId></BasePolicy>
<Item Key="b" Value="1">text &amp; more</Item></TrustFrameworkPolicy>`, false, 10, 3},
		{"a text", `<TrustFrameworkPolicy xmlns="http://schemas.microsoft.com/online/cpim/schemas/2013/06" PolicyId="B2C_1A_X" TenantId="c.onmicrosoft.com">
<BasePolicy>
<PolicyId>B2C_1A_Other</PolicyId></BasePolicy></TrustFrameworkPolicy>`, false, 8, 3},
		{"a text on a line of its own", `<TrustFrameworkPolicy xmlns="http://schemas.microsoft.com/online/cpim/schemas/2013/06" PolicyId="B2C_1A_X" TenantId="c.onmicrosoft.com">
<BasePolicy><PolicyId>

    B2C_1A_Other
</PolicyId></BasePolicy></TrustFrameworkPolicy>`, false, 8, 4},
		{"the namespace", `<TrustFrameworkPolicy PolicyId="B2C_1A_X" TenantId="c.onmicrosoft.com"/>`, false, 2, 1},
		{"an element fewer", `<TrustFrameworkPolicy xmlns="http://schemas.microsoft.com/online/cpim/schemas/2013/06" PolicyId="B2C_1A_X" TenantId="c.onmicrosoft.com">
<BasePolicy><PolicyId>B2C_1A_Base</PolicyId></BasePolicy>
</TrustFrameworkPolicy>`, false, 10, 3},
		{"an element more at the end", `<TrustFrameworkPolicy xmlns="http://schemas.microsoft.com/online/cpim/schemas/2013/06" PolicyId="B2C_1A_X" TenantId="c.onmicrosoft.com">
<BasePolicy><PolicyId>B2C_1A_Base</PolicyId></BasePolicy>
<Item Key="a" Value="1">text &amp; more</Item>
<Extra/></TrustFrameworkPolicy>`, false, 11, 4},
		{"a comment after the root", `<TrustFrameworkPolicy xmlns="http://schemas.microsoft.com/online/cpim/schemas/2013/06" PolicyId="B2C_1A_X" TenantId="c.onmicrosoft.com">
<BasePolicy><PolicyId>B2C_1A_Base</PolicyId></BasePolicy>
<Item Key="a" Value="1">text &amp; more</Item></TrustFrameworkPolicy><!-- x -->`, true, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			same, line, storedLine, err := samePolicy([]byte(rendered), []byte(tt.stored))
			if err != nil {
				t.Fatal(err)
			}
			if same != tt.same || line != tt.line || storedLine != tt.storedLine {
				t.Errorf("samePolicy = %v, line %d, stored line %d; want %v, %d, %d", same, line, storedLine, tt.same, tt.line, tt.storedLine)
			}
		})
	}
}

// TestSamePolicyKeepsARenderedTenantObjectId: only an attribute B2C adds is ignored; one the
// file sets must match.
func TestSamePolicyKeepsARenderedTenantObjectId(t *testing.T) {
	const withID = `<TrustFrameworkPolicy PolicyId="B2C_1A_X" TenantObjectId="1111"/>`
	if same, _, _, _ := samePolicy([]byte(withID), []byte(`<TrustFrameworkPolicy PolicyId="B2C_1A_X" TenantObjectId="2222"/>`)); same {
		t.Error("a TenantObjectId the rendered file sets was ignored")
	}
	if same, _, _, _ := samePolicy([]byte(withID), []byte(withID)); !same {
		t.Error("equal files with a TenantObjectId differ")
	}
	if same, _, _, _ := samePolicy([]byte(`<TrustFrameworkPolicy PolicyId="B2C_1A_X"><A/></TrustFrameworkPolicy>`),
		[]byte(`<TrustFrameworkPolicy PolicyId="B2C_1A_X" TenantObjectId="1"><A TenantObjectId="1"/></TrustFrameworkPolicy>`)); same {
		t.Error("TenantObjectId was ignored below the root")
	}
	if _, _, _, err := samePolicy([]byte(withID), []byte("not xml")); err == nil {
		t.Error("a copy that is not XML compared")
	}
}
