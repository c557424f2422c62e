# transmission-daemon 3.00: its RPC server is evhttp (it reads struct
# evhttp_request's fields directly). DHT, LPD, PEX, uTP and port mapping are
# off and peers bind to loopback, so nothing leaves the machine.
. "$(dirname "$0")/lib.sh"
need transmission-daemon transmission-create python3

port=$(free_port) peer=$(free_port)
mkdir -p "$W/cfg" "$W/dl" "$W/data"
cat >"$W/cfg/settings.json" <<JSON
{ "pex-enabled": false, "utp-enabled": false, "dht-enabled": false,
  "lpd-enabled": false, "port-forwarding-enabled": false,
  "bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1",
  "rpc-bind-address": "127.0.0.1", "rpc-whitelist": "127.0.0.1",
  "rpc-authentication-required": false, "rpc-host-whitelist-enabled": false,
  "blocklist-enabled": false, "message-level": 1 }
JSON
# A local torrent: 3 MiB of data, a tracker address nobody answers on.
head -c 3145728 /dev/urandom >"$W/data/librel-payload.bin"
transmission-create -o "$W/payload.torrent" -t http://127.0.0.1:9/announce \
	"$W/data/librel-payload.bin" >&2

"${ON_LIB[@]}" transmission-daemon -f -g "$W/cfg" -w "$W/dl" -p "$port" -P "$peer" \
	-r 127.0.0.1 -O -Y -M -T --no-utp &
pid=$!
record "$pid" transmission-da

rpc() { client trpc "$port" "$@"; }
up() { alive "$pid" && rpc handshake >/dev/null; }
started() { wait_for 20 up || { why="no RPC answer on 127.0.0.1:$port"; return 1; }; }
check transmission.start started || exit 1
check transmission.maps maps_ok "$pid"
check transmission.rpc-handshake rpc handshake
check transmission.session-get rpc session
want() { local got; got=$(rpc "$@") || return 1; [ "$got" = "$WANT" ] || { why="$*: got '$got', want '$WANT'"; return 1; }; }
WANT=librel-payload.bin check transmission.torrent-add want add "$W/payload.torrent"
WANT="librel-payload.bin 3145728" check transmission.torrent-get want list
check transmission.parallel rpc parallel
check transmission.gzip rpc gzip
check transmission.web rpc web
WANT="removed 1" check transmission.torrent-remove want remove
check transmission.sigterm stops_on TERM
