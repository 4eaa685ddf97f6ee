package authext

// Event and response shapes of the OnTokenIssuanceStart custom claims provider (Microsoft's
// "custom claims provider reference").
const (
	eventTokenIssuanceStart = "microsoft.graph.authenticationEvent.tokenIssuanceStart"
	dataTokenIssuanceStart  = "microsoft.graph.onTokenIssuanceStartCalloutData"
	responseDataType        = "microsoft.graph.onTokenIssuanceStartResponseData"
	provideClaimsAction     = "microsoft.graph.tokenIssuanceStart.provideClaimsForToken"

	// maxClaimsBytes is External ID's limit on the claims one call returns: 3 KB, counted over
	// every key and value.
	maxClaimsBytes = 3 * 1024
	// maxEventBytes bounds the request body; a real event is a few kilobytes.
	maxEventBytes = 64 << 10
)

// event is the part of the request the bridge reads.
type event struct {
	Type string `json:"type"`
	Data struct {
		ODataType             string `json:"@odata.type"`
		TenantID              string `json:"tenantId"`
		AuthenticationContext struct {
			CorrelationID          string `json:"correlationId"`
			ClientServicePrincipal struct {
				AppID string `json:"appId"`
			} `json:"clientServicePrincipal"`
			User struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"authenticationContext"`
	} `json:"data"`
}

// Response is the answer External ID expects: one provideClaimsForToken action whose claims are
// strings or string arrays.
type Response struct {
	Data ResponseData `json:"data"`
}

// ResponseData is the response's data member.
type ResponseData struct {
	ODataType string   `json:"@odata.type"`
	Actions   []Action `json:"actions"`
}

// Action is one action of the response.
type Action struct {
	ODataType string         `json:"@odata.type"`
	Claims    map[string]any `json:"claims"`
}

// newResponse wraps claims (possibly none) in the documented envelope.
func newResponse(claims map[string]any) Response {
	if claims == nil {
		claims = map[string]any{}
	}
	return Response{Data: ResponseData{
		ODataType: responseDataType,
		Actions:   []Action{{ODataType: provideClaimsAction, Claims: claims}},
	}}
}
