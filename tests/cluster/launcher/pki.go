package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// keyPair is a certificate with its private key, both PEM encoded.
type keyPair struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	keyPEM  []byte
}

// pki is everything the control plane needs: one CA signs every serving and client certificate.
type pki struct {
	ca         keyPair
	apiserver  keyPair // kube-apiserver serving certificate
	serving    keyPair // serving certificate of controller-manager, scheduler and kwok
	admin      keyPair // O=system:masters: the kubeconfig handed to the tests
	controller keyPair // CN=system:kube-controller-manager
	scheduler  keyPair // CN=system:kube-scheduler
	kwok       keyPair // O=system:masters: KWOK updates any node and pod
	frontCA    keyPair // front-proxy CA: the API server's requests to aggregated API servers
	frontProxy keyPair // CN=front-proxy-client
	saKeyPEM   []byte  // service-account token signing key
	saPubPEM   []byte
}

func newKey() (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
}

func newCA(cn string) (keyPair, error) {
	key, keyPEM, err := newKey()
	if err != nil {
		return keyPair{}, err
	}
	sn, err := serial()
	if err != nil {
		return keyPair{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return keyPair{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return keyPair{}, err
	}
	return keyPair{cert: cert, key: key, certPEM: pemCert(der), keyPEM: keyPEM}, nil
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// issue signs a leaf certificate: a client certificate when ips and dns are empty, else a serving
// certificate (that can also authenticate as a client).
func (ca keyPair) issue(cn string, orgs []string, ips []net.IP, dns []string) (keyPair, error) {
	key, keyPEM, err := newKey()
	if err != nil {
		return keyPair{}, err
	}
	sn, err := serial()
	if err != nil {
		return keyPair{}, err
	}
	now := time.Now()
	usage := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if len(ips) != 0 || len(dns) != 0 {
		usage = append(usage, x509.ExtKeyUsageServerAuth)
	}
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  usage,
		IPAddresses:  ips,
		DNSNames:     dns,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return keyPair{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return keyPair{}, err
	}
	return keyPair{cert: cert, key: key, certPEM: pemCert(der), keyPEM: keyPEM}, nil
}

func newPKI(serviceIP net.IP) (*pki, error) {
	ca, err := newCA("helmdeck-test-ca")
	if err != nil {
		return nil, err
	}
	frontCA, err := newCA("helmdeck-test-front-proxy-ca")
	if err != nil {
		return nil, err
	}
	p := &pki{ca: ca, frontCA: frontCA}
	if p.frontProxy, err = frontCA.issue("front-proxy-client", nil, nil, nil); err != nil {
		return nil, err
	}
	loopback := []net.IP{net.ParseIP("127.0.0.1")}
	leaves := []struct {
		into *keyPair
		cn   string
		orgs []string
		ips  []net.IP
		dns  []string
	}{
		{&p.apiserver, "kube-apiserver", nil, []net.IP{net.ParseIP("127.0.0.1"), serviceIP},
			[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
				"kubernetes.default.svc.cluster.local"}},
		{&p.serving, "helmdeck-test-components", nil, loopback, []string{"localhost"}},
		{&p.admin, "kubernetes-admin", []string{"system:masters"}, nil, nil},
		{&p.controller, "system:kube-controller-manager", nil, nil, nil},
		{&p.scheduler, "system:kube-scheduler", nil, nil, nil},
		{&p.kwok, "kwok-controller", []string{"system:masters"}, nil, nil},
	}
	for _, l := range leaves {
		kp, err := ca.issue(l.cn, l.orgs, l.ips, l.dns)
		if err != nil {
			return nil, fmt.Errorf("issue %s certificate: %w", l.cn, err)
		}
		*l.into = kp
	}
	saKey, saKeyPEM, err := newKey()
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	p.saKeyPEM = saKeyPEM
	p.saPubPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	return p, nil
}

// write stores the PKI under dir as NAME.crt / NAME.key files.
func (p *pki) write(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	files := map[string][]byte{
		"ca.crt": p.ca.certPEM, "ca.key": p.ca.keyPEM,
		"apiserver.crt": p.apiserver.certPEM, "apiserver.key": p.apiserver.keyPEM,
		"serving.crt": p.serving.certPEM, "serving.key": p.serving.keyPEM,
		"sa.key": p.saKeyPEM, "sa.pub": p.saPubPEM,
		"front-proxy-ca.crt":     p.frontCA.certPEM,
		"front-proxy-client.crt": p.frontProxy.certPEM, "front-proxy-client.key": p.frontProxy.keyPEM,
		// The admin identity of DIR/kubeconfig, as files for clients that want them.
		"admin.crt": p.admin.certPEM, "admin.key": p.admin.keyPEM,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}
