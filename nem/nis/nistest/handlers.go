package nistest

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

// request is one request as a node handles it.
type request struct {
	nd       *Node
	v        view
	r        *http.Request
	b        Behavior
	features nis.Features
}

type handler func(q *request) (status int, body []byte)

type route struct {
	method string
	fn     handler
}

var routes = map[string]route{
	"/heartbeat":                       {http.MethodGet, heartbeat},
	"/status":                          {http.MethodGet, status},
	"/chain/height":                    {http.MethodGet, chainHeight},
	"/node/info":                       {http.MethodGet, nodeInfo},
	"/node/extended-info":              {http.MethodGet, nodeExtendedInfo},
	"/time-sync/network-time":          {http.MethodGet, networkTime},
	"/account/get":                     {http.MethodGet, accountGet},
	"/account/get/from-public-key":     {http.MethodGet, accountFromPublicKey},
	"/account/transfers/incoming":      {http.MethodGet, transfers(true, false)},
	"/account/transfers/outgoing":      {http.MethodGet, transfers(false, true)},
	"/account/transfers/all":           {http.MethodGet, transfers(true, true)},
	"/account/unconfirmedTransactions": {http.MethodGet, unconfirmed},
	"/transaction/get":                 {http.MethodGet, transactionGet},
	"/transaction/announce":            {http.MethodPost, announce},
}

const (
	msgLoading    = "NIS_ILLEGAL_STATE_LOADING_CHAIN"
	msgNotBooted  = "NIS_ILLEGAL_STATE_NOT_BOOTED"
	msgHashLookup = "this node does not support transaction lookup using a hash"
	msgNoHash     = "Hash was not found in cache"
	maxAnnounce   = 64 << 10
)

// ServeHTTP answers a NIS API request as the node's behavior says.
func (nd *Node) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	nd.mu.Lock()
	if nd.closed {
		nd.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	nd.inflight.Add(1)
	b, features := nd.behavior, nd.features
	nd.mu.Unlock()
	defer nd.inflight.Done()
	nd.requests.Add(1)

	if b.Delay > 0 {
		t := time.NewTimer(b.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-nd.stopChan():
			t.Stop()
			return
		}
	}
	if b.HTMLStatus != 0 {
		writeHTML(w, b.HTMLStatus)
		return
	}
	rt, ok := routes[r.URL.Path]
	if !ok {
		w.Header().Set("Content-Type", "text/html;charset=ISO-8859-1")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<html><head><title>Error 404 Not Found</title></head><body><h2>HTTP ERROR 404</h2></body></html>\n")
		return
	}
	q := &request{nd: nd, r: r, b: b, features: features}
	if r.Method != rt.method {
		code, body := q.nisError(http.StatusInternalServerError, "Request method '"+r.Method+"' not supported")
		writeJSON(w, r, code, body)
		return
	}
	if b.ErrorStatus != 0 && !exempt(r.URL.Path, b) {
		code, body := q.nisError(b.ErrorStatus, b.ErrorMessage)
		writeJSON(w, r, code, body)
		return
	}
	q.v = nd.net.viewAt(int64(b.Lag))
	code, body := rt.fn(q)
	if b.Oversized > 0 {
		writeOversized(w, r, b.Oversized)
		return
	}
	if b.Malformed {
		body = body[:len(body)/2]
	}
	writeJSON(w, r, code, body)
}

// exempt reports the routes a node in error state still answers.
func exempt(path string, b Behavior) bool {
	switch path {
	case "/heartbeat", "/status":
		return true
	case "/chain/height":
		return b.ErrorMessage == msgLoading
	}
	return false
}

// writeHTML answers as nginx does when the server behind it fails.
func writeHTML(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	io.WriteString(w, "<html>\r\n<head><title>"+text+"</title></head>\r\n<body>\r\n<center><h1>"+text+
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
}

var gzipPool = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed); return w }}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Access-Control-Allow-Origin", "*")
	if len(body) >= 1024 && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		w.WriteHeader(status)
		gz := gzipPool.Get().(*gzip.Writer)
		gz.Reset(w)
		gz.Write(body)
		gz.Close()
		gzipPool.Put(gz)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func writeOversized(w http.ResponseWriter, r *http.Request, n int64) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	chunk := bytes.Repeat([]byte{'A'}, 32<<10)
	copy(chunk, `{"data":"`)
	for sent := int64(0); sent < n; sent += int64(len(chunk)) {
		if r.Context().Err() != nil {
			return
		}
		if _, err := w.Write(chunk[:min(int64(len(chunk)), n-sent)]); err != nil {
			return
		}
		chunk[0] = 'A' // only the first chunk opens the JSON
		copy(chunk, "AAAAAAAAA")
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("nistest: encoding an answer: " + err.Error())
	}
	return b
}

type errorJSON struct {
	TimeStamp int32  `json:"timeStamp"`
	Error     string `json:"error"`
	Message   string `json:"message"`
	Status    int    `json:"status"`
}

// nisError returns a NIS ErrorResponse, dated by the node's clock.
func (q *request) nisError(status int, message string) (int, []byte) {
	return status, mustJSON(errorJSON{
		TimeStamp: int32(nem.TimestampOf(q.nd.net.Time().Add(q.b.TimeShift))),
		Error:     http.StatusText(status),
		Message:   message,
		Status:    status,
	})
}

type resultJSON struct {
	Code    int    `json:"code"`
	Type    int    `json:"type"`
	Message string `json:"message"`
}

func heartbeat(q *request) (int, []byte) {
	return http.StatusOK, mustJSON(resultJSON{Code: 1, Type: 2, Message: "ok"})
}

func status(q *request) (int, []byte) {
	code := int(nis.StatusSynchronized)
	switch {
	case q.b.ErrorMessage == msgLoading:
		code = int(nis.StatusLoading)
	case q.b.ErrorMessage == msgNotBooted:
		code = int(nis.StatusRunning)
	}
	return http.StatusOK, mustJSON(resultJSON{Code: code, Type: 4, Message: "status"})
}

// network returns the network the node serves (Behavior.Network).
func (q *request) network() nem.Network {
	if q.b.Network != 0 {
		return q.b.Network
	}
	return q.nd.net.opts.Network
}

// height returns h as the node claims it (Behavior.HeightBoost).
func (q *request) height(h int64) int64 { return max(h+int64(q.b.HeightBoost), 1) }

// now returns the time on the node's clock (Behavior.TimeShift).
func (q *request) now() time.Time { return q.v.now.Add(q.b.TimeShift) }

func chainHeight(q *request) (int, []byte) {
	return http.StatusOK, mustJSON(struct {
		Height int64 `json:"height"`
	}{q.height(q.v.height)})
}

type nodeJSON struct {
	MetaData struct {
		Features    int     `json:"features"`
		Application *string `json:"application"`
		NetworkID   int     `json:"networkId"`
		Version     string  `json:"version"`
		Platform    string  `json:"platform"`
	} `json:"metaData"`
	Endpoint struct {
		Protocol string `json:"protocol"`
		Port     int    `json:"port"`
		Host     string `json:"host"`
	} `json:"endpoint"`
	Identity struct {
		Name      string `json:"name"`
		PublicKey string `json:"public-key"`
	} `json:"identity"`
}

const nisVersion = "0.6.101"

func (q *request) node() nodeJSON {
	var n nodeJSON
	n.MetaData.Features = int(q.features)
	n.MetaData.NetworkID = int(int8(q.network()))
	n.MetaData.Version = nisVersion
	n.MetaData.Platform = "nistest (Go)"
	n.Endpoint.Protocol = "http"
	host, port, _ := strings.Cut(q.nd.addr, ":")
	n.Endpoint.Host = host
	n.Endpoint.Port, _ = strconv.Atoi(port)
	n.Identity.Name = q.nd.name
	n.Identity.PublicKey = q.nd.identity.String()
	return n
}

func nodeInfo(q *request) (int, []byte) { return http.StatusOK, mustJSON(q.node()) }

func nodeExtendedInfo(q *request) (int, []byte) {
	now := int32(nem.TimestampOf(q.now()))
	return http.StatusOK, mustJSON(struct {
		Node    nodeJSON `json:"node"`
		NisInfo struct {
			Application string  `json:"application"`
			Version     string  `json:"version"`
			Signer      *string `json:"signer"`
			StartTime   int32   `json:"startTime"`
			CurrentTime int32   `json:"currentTime"`
		} `json:"nisInfo"`
	}{Node: q.node(), NisInfo: struct {
		Application string  `json:"application"`
		Version     string  `json:"version"`
		Signer      *string `json:"signer"`
		StartTime   int32   `json:"startTime"`
		CurrentTime int32   `json:"currentTime"`
	}{"NEM Infrastructure Server", nisVersion, nil, now, now}})
}

func networkTime(q *request) (int, []byte) {
	ms := q.now().Sub(nem.Epoch).Milliseconds()
	return http.StatusOK, mustJSON(struct {
		Send    int64 `json:"sendTimeStamp"`
		Receive int64 `json:"receiveTimeStamp"`
	}{ms, ms})
}

// address reads the address query parameter as NIS does: 40 characters, any
// case, of the node's network.
func (q *request) address() (nem.Address, int, []byte) {
	s := q.r.URL.Query().Get("address")
	if s == "" {
		code, body := q.nisError(http.StatusBadRequest, "encoded address cannot be null")
		return nem.Address{}, code, body
	}
	a, err := nem.ParseAddressOn(strings.ToUpper(s), q.network())
	if err != nil || len(s) != 40 {
		code, body := q.nisError(http.StatusBadRequest, "address must be valid")
		return nem.Address{}, code, body
	}
	return a, 0, nil
}

type accountInfoJSON struct {
	Address         string      `json:"address"`
	PublicKey       *string     `json:"publicKey"`
	Balance         uint64      `json:"balance"`
	VestedBalance   uint64      `json:"vestedBalance"`
	HarvestedBlocks int         `json:"harvestedBlocks"`
	Label           *string     `json:"label"`
	Importance      json.Number `json:"importance"`
	MultisigInfo    any         `json:"multisigInfo"`
}

type multisigInfoJSON struct {
	CosignatoriesCount int `json:"cosignatoriesCount"`
	MinCosignatories   int `json:"minCosignatories"`
}

type accountPairJSON struct {
	Account accountInfoJSON `json:"account"`
	Meta    struct {
		Status        string            `json:"status"`
		RemoteStatus  string            `json:"remoteStatus"`
		CosignatoryOf []accountInfoJSON `json:"cosignatoryOf"`
		Cosignatories []accountInfoJSON `json:"cosignatories"`
	} `json:"meta"`
}

func (v *view) account(a nem.Address) *account {
	if acct, ok := v.snap.accounts[a]; ok {
		return acct
	}
	return &account{address: a}
}

func infoJSON(acct *account, key nem.PublicKey, ms any) accountInfoJSON {
	j := accountInfoJSON{
		Address:       acct.address.String(),
		Balance:       acct.balance,
		VestedBalance: acct.balance,
		Importance:    "0.0",
		MultisigInfo:  ms,
	}
	if !key.IsZero() {
		s := key.String()
		j.PublicKey = &s
	}
	return j
}

func multisigOf(acct *account) any {
	if !acct.isMultisig() {
		return struct{}{}
	}
	return multisigInfoJSON{CosignatoriesCount: len(acct.cosigners), MinCosignatories: acct.minCos}
}

// accountAnswer builds an AccountMetaDataPair; echo, if not zero, is the key
// a /from-public-key request asked for.
func (q *request) accountAnswer(a nem.Address, echo nem.PublicKey) []byte {
	net := q.network()
	acct := q.v.account(a)
	key := acct.publicKey
	if !echo.IsZero() {
		key = echo
	}
	var p accountPairJSON
	p.Meta.Status, p.Meta.RemoteStatus = "LOCKED", "INACTIVE"
	p.Meta.Cosignatories, p.Meta.CosignatoryOf = []accountInfoJSON{}, []accountInfoJSON{}
	cosigners, ms := acct.cosigners, multisigOf(acct)
	cosignerOf := acct.cosignerOf
	if lie := q.b.Lie; lie != nil && (len(lie.Accounts) == 0 || slices.Contains(lie.Accounts, a)) {
		cosigners, cosignerOf = lie.Cosignatories, nil
		ms = any(struct{}{})
		if len(cosigners) > 0 {
			ms = multisigInfoJSON{CosignatoriesCount: len(cosigners), MinCosignatories: lie.MinCosignatories}
		}
	}
	p.Account = infoJSON(acct, key, ms)
	for _, k := range cosigners {
		c := q.v.account(k.Address(net))
		p.Meta.Cosignatories = append(p.Meta.Cosignatories, infoJSON(c, k, multisigOf(c)))
	}
	for _, m := range cosignerOf {
		c := q.v.account(m)
		p.Meta.CosignatoryOf = append(p.Meta.CosignatoryOf, infoJSON(c, c.publicKey, multisigOf(c)))
	}
	// NIS lists both from hash sets: no order to rely on.
	rand.Shuffle(len(p.Meta.Cosignatories), func(i, j int) {
		p.Meta.Cosignatories[i], p.Meta.Cosignatories[j] = p.Meta.Cosignatories[j], p.Meta.Cosignatories[i]
	})
	rand.Shuffle(len(p.Meta.CosignatoryOf), func(i, j int) {
		p.Meta.CosignatoryOf[i], p.Meta.CosignatoryOf[j] = p.Meta.CosignatoryOf[j], p.Meta.CosignatoryOf[i]
	})
	return mustJSON(p)
}

func accountGet(q *request) (int, []byte) {
	a, code, body := q.address()
	if code != 0 {
		return code, body
	}
	return http.StatusOK, q.accountAnswer(a, nem.PublicKey{})
}

func accountFromPublicKey(q *request) (int, []byte) {
	s := q.r.URL.Query().Get("publicKey")
	if s == "" {
		return q.nisError(http.StatusBadRequest, "public key cannot be null")
	}
	k, err := nem.ParsePublicKey(s)
	if err != nil {
		if _, herr := hex.DecodeString(s); herr != nil {
			return q.nisError(http.StatusInternalServerError, "Illegal hexadecimal character in public key")
		}
		return q.nisError(http.StatusInternalServerError, "public key must be 32 bytes")
	}
	return http.StatusOK, q.accountAnswer(k.Address(q.network()), k)
}

type hashJSON struct {
	Data string `json:"data"`
}

func hashObject(h tx.Hash) any {
	if h.IsZero() {
		return struct{}{}
	}
	return hashJSON{h.String()}
}

type metaJSON struct {
	Height    int64    `json:"height"`
	ID        int64    `json:"id"`
	Hash      hashJSON `json:"hash"`
	InnerHash any      `json:"innerHash"`
}

type pairJSON struct {
	Meta        metaJSON        `json:"meta"`
	Transaction json.RawMessage `json:"transaction"`
}

// id returns the node-local database id of a record: different on every
// node, increasing with the chain, as NIS's ids are.
func (nd *Node) id(r *record) int64 { return int64(nd.index+1)*1_000_000_000 + r.seq }

func (q *request) pair(r *record) pairJSON {
	return pairJSON{
		Meta:        metaJSON{Height: q.height(r.height), ID: q.nd.id(r), Hash: hashJSON{r.hash.String()}, InnerHash: hashObject(r.innerHash)},
		Transaction: r.json,
	}
}

func transfers(in, out bool) handler {
	return func(q *request) (int, []byte) {
		a, code, body := q.address()
		if code != 0 {
			return code, body
		}
		query := q.r.URL.Query()
		var before int64
		if s := query.Get("id"); s != "" {
			var err error
			if before, err = strconv.ParseInt(s, 10, 64); err != nil {
				return q.nisError(http.StatusBadRequest, "id must be a number")
			}
		}
		size := 25
		if s := query.Get("pageSize"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return q.nisError(http.StatusBadRequest, "pageSize must be a number")
			}
			size = min(max(n, 5), 100)
		}
		list := []pairJSON{}
		records := q.records()
		for i := len(records) - 1; i >= 0 && len(list) < size; i-- {
			r := records[i]
			if before != 0 && q.nd.id(r) >= before {
				continue
			}
			if r.touches(a, in, out) {
				list = append(list, q.pair(r))
			}
		}
		list = q.tamper(a, list, size, before)
		return http.StatusOK, mustJSON(struct {
			Data []pairJSON `json:"data"`
		}{list})
	}
}

func unconfirmed(q *request) (int, []byte) {
	a, code, body := q.address()
	if code != 0 {
		return code, body
	}
	net := q.network()
	type metaData struct {
		Data *string `json:"data"`
	}
	type entry struct {
		Meta        metaData        `json:"meta"`
		Transaction json.RawMessage `json:"transaction"`
	}
	list := []entry{}
	for i := len(q.v.pending) - 1; i >= 0 && len(list) < 25; i-- {
		p := q.v.pending[i]
		m := p.txn.Inner.Signer.Address(net)
		if m != a && !q.v.account(m).hasCosigner(q.v.account(a).publicKey) {
			continue
		}
		js, err := p.txn.MarshalJSON()
		if err != nil {
			continue
		}
		ih := p.innerHash.String()
		list = append(list, entry{Meta: metaData{&ih}, Transaction: js})
	}
	return http.StatusOK, mustJSON(struct {
		Data []entry `json:"data"`
	}{list})
}

func transactionGet(q *request) (int, []byte) {
	if !q.features.Has(nis.FeatureTransactionHashLookup) {
		return q.nisError(http.StatusInternalServerError, msgHashLookup)
	}
	h, err := tx.ParseHash(q.r.URL.Query().Get("hash"))
	if err != nil {
		return q.nisError(http.StatusBadRequest, msgNoHash)
	}
	for _, r := range q.records() {
		if r.hash != h {
			continue
		}
		if ret := q.nd.net.opts.HashRetention; ret > 0 && q.v.now.Sub(r.blockTime) > ret {
			break
		}
		return http.StatusOK, mustJSON(q.pair(r))
	}
	return q.nisError(http.StatusBadRequest, msgNoHash)
}

func announce(q *request) (int, []byte) {
	body, err := io.ReadAll(io.LimitReader(q.r.Body, maxAnnounce+1))
	if err != nil || len(body) > maxAnnounce {
		return q.nisError(http.StatusBadRequest, "request body too large or unreadable")
	}
	var st tx.SignedTransaction
	if err := json.Unmarshal(body, &st); err != nil {
		return q.nisError(http.StatusBadRequest, "invalid announce request: "+err.Error())
	}
	code, h, inner := failureWrongNetwork, st.Hash(), tx.Hash{}
	if q.network() == q.nd.net.opts.Network {
		code, h, inner = q.nd.net.announce(&st)
	}
	return http.StatusOK, mustJSON(struct {
		Type                 int    `json:"type"`
		Code                 int    `json:"code"`
		Message              string `json:"message"`
		TransactionHash      any    `json:"transactionHash"`
		InnerTransactionHash any    `json:"innerTransactionHash"`
	}{1, code, resultNames[code], hashObject(h), hashObject(inner)})
}
