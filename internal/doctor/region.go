package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"idmebridge/internal/config"
)

// DefaultARMURL is Azure Resource Manager in the global cloud.
const DefaultARMURL = "https://management.azure.com"

// maxStacks bounds the stacks answer: one stack of one region is a few kilobytes.
const maxStacks = 4 << 20

// flexStacksPath is the request `az functionapp list-flexconsumption-runtimes` makes
// (Azure/azure-cli, src/azure-cli/azure/cli/command_modules/appservice/custom.py,
// _FlexFunctionAppStackRuntimeHelper.get_flex_raw_function_app_stacks): a provider-level GET,
// with no subscription in the path, for one stack of one region. Only the region's list
// carries each version's "skus" (Azure/azure-functions-ux, client-react/src/models/stacks/
// function-app-stacks.ts, the note on "Get a list of all versions of a particular stack for a
// given region").
const flexStacksPath = "/providers/Microsoft.Web/locations/%s/functionAppStacks?api-version=2020-10-01&removeHiddenStacks=true&removeDeprecatedStacks=true&stack=%s"

// functionAppStacks is the part of the answer azure-cli reads (_parse_raw_stacks there): each
// stack's properties.majorVersions[].minorVersions[], whose stackSettings.linuxRuntimeSettings
// names the worker runtime in appSettingsDictionary.FUNCTIONS_WORKER_RUNTIME (else the stack's
// name is the runtime) and lists the plans in "Sku", each with a skuCode; Flex Consumption is
// "FC1". The portal's model spells the list "skus"; both are read.
type functionAppStacks struct {
	Value []struct {
		Name       string `json:"name"`
		Properties struct {
			MajorVersions []struct {
				MinorVersions []struct {
					Value         string `json:"value"`
					StackSettings struct {
						LinuxRuntimeSettings *struct {
							AppSettingsDictionary map[string]any `json:"appSettingsDictionary"`
							Sku                   []stackSku     `json:"Sku"`
							Skus                  []stackSku     `json:"skus"`
						} `json:"linuxRuntimeSettings"`
					} `json:"stackSettings"`
				} `json:"minorVersions"`
			} `json:"majorVersions"`
		} `json:"properties"`
	} `json:"value"`
}

type stackSku struct {
	SkuCode                     string `json:"skuCode"`
	FunctionAppConfigProperties struct {
		Runtime struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"runtime"`
	} `json:"functionAppConfigProperties"`
}

// flexVersions returns the versions of runtime that the answer offers on Flex Consumption.
func (s functionAppStacks) flexVersions(runtime string) []string {
	var versions []string
	for _, stack := range s.Value {
		for _, major := range stack.Properties.MajorVersions {
			for _, minor := range major.MinorVersions {
				linux := minor.StackSettings.LinuxRuntimeSettings
				if linux == nil {
					continue
				}
				name, _ := linux.AppSettingsDictionary["FUNCTIONS_WORKER_RUNTIME"].(string)
				if name == "" {
					name = stack.Name
				}
				if name != runtime {
					continue
				}
				for _, sku := range append(linux.Sku, linux.Skus...) {
					if sku.SkuCode != "FC1" {
						continue
					}
					v := sku.FunctionAppConfigProperties.Runtime.Version
					if v == "" {
						v = minor.Value
					}
					if !slices.Contains(versions, v) {
						versions = append(versions, v)
					}
				}
			}
		}
	}
	return versions
}

// normalizeLocation writes a region as ARM's paths name it: "East US" is eastus (azure-cli's
// list_flexconsumption_locations lowercases names and removes their spaces the same way).
func normalizeLocation(location string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(location), " ", ""))
}

// checkRegion asks ARM whether the region offers the bridge's runtime, custom (a custom
// handler), on Flex Consumption, as `az functionapp list-flexconsumption-runtimes --location
// REGION --runtime custom` would list it.
func checkRegion(ctx context.Context, o Options) Finding {
	f := Finding{Check: "region.runtime"}
	location := normalizeLocation(o.Location)
	if location == "" {
		f.Status, f.Detail = Skip, "no --location: the region's Flex Consumption runtimes are not checked"
		return f
	}
	f.Subject = location
	listCmd := "az functionapp list-flexconsumption-runtimes --location " + location + " --runtime custom"
	versions, err := flexRuntimeVersions(ctx, o, location, "custom")
	var ae *armError
	switch {
	case errors.As(err, &ae) && ae.status == http.StatusUnauthorized:
		f.Status, f.Detail, f.Fix = Fail, "Azure Resource Manager refused the sign-in: "+ae.Error(), "az login (the Azure tenant, not the B2C tenant)"
	case err != nil:
		f.Status, f.Detail, f.Fix = Fail, "cannot read the region's runtimes: "+firstLine(err), "check --location and the sign-in to Azure (az login); "+listCmd+" asks the same"
	case len(versions) == 0:
		f.Status, f.Detail = Fail, "Flex Consumption in "+location+" does not list runtime custom: the bridge (a custom handler) cannot run there"
		f.Fix = "deploy to a region that lists it (az functionapp list-flexconsumption-locations, then " + strings.Replace(listCmd, location, "<region>", 1) + ")"
	default:
		f.Status, f.Detail = Pass, "Flex Consumption offers runtime custom (version "+strings.Join(versions, ", ")+")"
	}
	return f
}

// armError is a refusal from Azure Resource Manager: {"error":{"code","message"}} (the ARM
// error response of Azure/azure-rest-api-specs, common-types ErrorResponse).
type armError struct {
	status        int
	code, message string
}

func (e *armError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.status)
	if e.code != "" {
		s += " " + e.code
	}
	if e.message != "" {
		s += ": " + clip(e.message, 300)
	}
	return s
}

// flexRuntimeVersions makes azure-cli's request with the deployer's credential and returns the
// versions of runtime listed for Flex Consumption.
func flexRuntimeVersions(ctx context.Context, o Options, location, runtime string) ([]string, error) {
	base := strings.TrimRight(o.ARMURL, "/")
	if base == "" {
		base = DefaultARMURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !config.IsLoopbackHost(u.Hostname())) {
		return nil, fmt.Errorf("ARM endpoint %q must be an absolute https URL", o.ARMURL)
	}
	cred := o.ARMCredential
	if cred == nil {
		if cred, err = azidentity.NewDefaultAzureCredential(nil); err != nil {
			return nil, fmt.Errorf("no Azure credential: %w", err)
		}
	}
	ctx, cancel := withTimeout(ctx, o)
	defer cancel()
	body, err := armGet(ctx, cred, u, fmt.Sprintf(flexStacksPath, url.PathEscape(location), url.QueryEscape(runtime)))
	if err != nil {
		return nil, err
	}
	var stacks functionAppStacks
	if err := json.Unmarshal(body, &stacks); err != nil {
		return nil, fmt.Errorf("read the stacks: %w", err)
	}
	return stacks.flexVersions(runtime), nil
}

// armGet sends one GET to ARM with a token for it and returns a 200 answer's body.
func armGet(ctx context.Context, cred azcore.TokenCredential, base *url.URL, path string) ([]byte, error) {
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{base.Scheme + "://" + base.Host + "/.default"}})
	if err != nil {
		return nil, fmt.Errorf("get a token for Azure Resource Manager: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base.String(), "/")+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Accept", "application/json")
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxStacks+1))
	if err != nil {
		return nil, fmt.Errorf("read the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &armError{status: resp.StatusCode}
		var doc struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(data, &doc) == nil {
			e.code, e.message = doc.Error.Code, doc.Error.Message
		}
		return nil, e
	}
	if len(data) > maxStacks {
		return nil, fmt.Errorf("the answer is larger than %d bytes", maxStacks)
	}
	return data, nil
}
