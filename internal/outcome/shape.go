package outcome

// JSON types of field values in an event line.
const (
	TypeString = "string"
	TypeNumber = "number"
	TypeBool   = "bool"
)

// Shape lists, per event, every field its line carries (always, even when empty or zero) with
// the field's JSON type. FieldEvent is on every line and not repeated here.
func Shape() map[string]map[string]string {
	return map[string]map[string]string{
		SignInStarted: {FieldClientID: TypeString, FieldPolicies: TypeString},
		SignIn: {FieldClientID: TypeString, FieldPolicies: TypeString, FieldOutcome: TypeString,
			FieldCommunities: TypeString, FieldIDmeStatus: TypeNumber, FieldError: TypeString, FieldDuration: TypeNumber,
			FieldStateMs: TypeNumber, FieldIDmeTokenMs: TypeNumber, FieldAttributesMs: TypeNumber},
		Token: {FieldClientID: TypeString, FieldOutcome: TypeString, FieldError: TypeString, FieldDuration: TypeNumber,
			FieldCodeBurnMs: TypeNumber, FieldSigningMs: TypeNumber},
		Extension: {FieldClientID: TypeString, FieldOutcome: TypeString, FieldReason: TypeString, FieldClaims: TypeNumber,
			FieldDuration: TypeNumber, FieldCorrelationID: TypeString},
		Connector: {FieldClientID: TypeString, FieldOutcome: TypeString, FieldReason: TypeString, FieldClaims: TypeNumber,
			FieldDuration: TypeNumber},
		Readiness:     {FieldOutcome: TypeString, FieldReady: TypeBool},
		SecretRefresh: {FieldOutcome: TypeString, FieldSecret: TypeString},
	}
}
