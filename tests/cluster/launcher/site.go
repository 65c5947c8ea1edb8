package main

import (
	"fmt"
	"os"
	"regexp"

	"sigs.k8s.io/yaml"
)

// A node name must be a DNS subdomain (RFC 1123), as the API server requires.
var nodeName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// siteHosts returns spec.hosts[*].name of a helmdeck site file, in file order.
func siteHosts(file string) ([]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read site file: %w", err)
	}
	var site struct {
		Spec struct {
			Hosts []struct {
				Name string `json:"name"`
			} `json:"hosts"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &site); err != nil {
		return nil, fmt.Errorf("parse site file %s: %w", file, err)
	}
	seen := map[string]bool{}
	hosts := make([]string, 0, len(site.Spec.Hosts))
	for i, h := range site.Spec.Hosts {
		switch {
		case h.Name == "":
			return nil, fmt.Errorf("%s: spec.hosts[%d] has no name", file, i)
		case len(h.Name) > 253 || !nodeName.MatchString(h.Name):
			return nil, fmt.Errorf("%s: spec.hosts[%d].name %q is not a valid node name", file, i, h.Name)
		case seen[h.Name]:
			return nil, fmt.Errorf("%s: host %q is listed twice", file, h.Name)
		}
		seen[h.Name] = true
		hosts = append(hosts, h.Name)
	}
	if len(hosts) == 0 {
		return nil, fmt.Errorf("%s: spec.hosts is empty", file)
	}
	return hosts, nil
}
