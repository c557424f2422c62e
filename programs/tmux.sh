# Debian's tmux (issue #15's acceptance test) on a private socket with no
# config: a shell session, keys in and screen out, a flood of output kept in
# history, panes, pipes, jobs and a control-mode client.
. "$(dirname "$0")/lib.sh"
need tmux python3

S=$W/tmux.sock
export SHELL=/bin/sh TERM=xterm-256color
unset TMUX TMUX_PANE
cd "$W"
pid=
tm() { timeout 10 "${ON_LIB[@]}" tmux -S "$S" "$@"; }

# The session (and server) start; history big enough for the flood below.
started() {
	local err rc p
	err=$(tm -f /dev/null new-session -d -s main -x 80 -y 24 sh \; set -g history-limit 400000 2>&1)
	rc=$?
	# The server daemonized: recorded by its socket (our own temp path)
	# before anything else can hang, so it dies with the script.
	for p in $(pgrep -f -- "tmux -S $S "); do record "$p" tmux; done
	[ $rc = 0 ] || { why="new-session failed (status $rc${err:+: $(tail -n 1 <<<"$err")})"; return 1; }
	pid=$(tm display -p '#{pid}') && alive "$pid" || { why="no server pid"; return 1; }
	record "$pid" tmux
}
check tmux.start started || exit 1
check tmux.maps maps_ok "$pid"

screen_has() { tm capture-pane -p -t "$1" | grep -qx "$2"; }

# Typed keys reach the shell through the pty; its output reaches the screen.
send_keys() {
	tm send-keys -t main:0 'echo hello-$((6*7))' Enter &&
		wait_for 10 screen_has main:0 hello-42 || { why="hello-42 never showed in the pane"; return 1; }
}
check tmux.send-keys send_keys

# 300000 lines through one pane: every line kept, in order.
flood() {
	tm new-window -d -t main -n big 'seq 1 300000; echo SEQ-DONE; exec sleep 600' &&
		wait_for 60 screen_has main:big SEQ-DONE || { why="SEQ-DONE not on screen after 60 s"; return 1; }
	local hist
	hist=$(tm display -p -t main:big '#{history_size}')
	# 300001 lines and the cursor's empty one, less the 24 on screen.
	[ "$hist" = 299978 ] || { why="history_size $hist, want 299978"; return 1; }
	tm capture-pane -p -t main:big -S - -E - >"$W/flood.txt" || { why="capture-pane failed"; return 1; }
	grep -x '[0-9][0-9]*' "$W/flood.txt" | cmp -s - <(seq 1 300000) ||
		{ why="captured history is not 1..300000 (last lines: $(grep -x '[0-9][0-9]*' "$W/flood.txt" | tail -n 2 | tr '\n' ' '))"; return 1; }
	[ "$(tail -n 3 "$W/flood.txt" | head -n 2 | tr '\n' ' ')" = "300000 SEQ-DONE " ] ||
		{ why="capture does not end with 300000, SEQ-DONE"; return 1; }
}
check tmux.flood-300000-lines flood

split() {
	tm split-window -d -t main:0 'echo split-ok; exec sleep 600' || { why="split-window failed"; return 1; }
	local n
	n=$(tm list-panes -t main:0 | wc -l)
	[ "$n" = 2 ] || { why="$n panes, want 2"; return 1; }
	wait_for 10 screen_has main:0.1 split-ok || { why="split-ok not in the new pane"; return 1; }
}
check tmux.split-window split

piped() { grep -qx "piped-42"$'\r' "$W/pipe.txt" 2>/dev/null; }
pipe_pane() {
	tm pipe-pane -t main:0.0 -o "cat >> $W/pipe.txt" &&
		tm send-keys -t main:0.0 'echo piped-$((6*7))' Enter || { why="pipe-pane or send-keys failed"; return 1; }
	wait_for 10 piped || { why="piped-42 not in the pipe-pane file"; return 1; }
	tm pipe-pane -t main:0.0
}
check tmux.pipe-pane pipe_pane

# A job with formats expanded; tmux waits for it (no -b).
run_shell() {
	tm run-shell "echo ran-in-#{session_name} > $W/run.txt" || { why="run-shell failed"; return 1; }
	[ "$(cat "$W/run.txt" 2>/dev/null)" = ran-in-main ] || { why="run.txt: $(cat "$W/run.txt" 2>&1)"; return 1; }
}
check tmux.run-shell run_shell

# A client attached on a terminal (script(1)'s pty): keys typed on it reach
# the pane, it draws the pane, and detach-client ends it.
one_client() { [ "$(tm list-clients | wc -l)" = 1 ]; }
drawn() { grep -aq typed-42 "$W/typescript"; }
attached() {
	local cpid spid
	mkfifo "$W/keys"
	timeout 30 "${ON_LIB[@]}" script -qfec "tmux -S $S attach -t main:0" "$W/typescript" \
		<"$W/keys" >/dev/null 2>&1 &
	spid=$!
	# Read-write: opening never blocks, even if script(1) never started.
	exec 3<>"$W/keys"
	wait_for 10 one_client || { why="no client attached"; exec 3>&-; return 1; }
	cpid=$(tm list-clients -F '#{client_pid}')
	record "$cpid" tmux
	printf 'echo typed-$((6*7))\r' >&3
	wait_for 10 screen_has main:0 typed-42 || { why="typed-42 never showed in the pane"; exec 3>&-; return 1; }
	wait_for 10 drawn || { why="the client's terminal never showed typed-42"; exec 3>&-; return 1; }
	tm detach-client -s main
	exec 3>&-
	wait "$spid" || { why="script/tmux attach exit status $?"; return 1; }
	grep -aq 'detached (from session main)' "$W/typescript" || { why="no detach message on the terminal"; return 1; }
}
check tmux.attached-client attached

# A control-mode client: the command's reply is framed by %begin/%end with
# the same number; stdin's end detaches it.
control() {
	local out
	out=$(printf 'display-message -p "ctl-ok-#{session_name}"\n' | tm -C attach -t main 2>&1) ||
		{ why="tmux -C attach failed: $(tail -n 1 <<<"$out")"; return 1; }
	awk '/^%begin / { n = $3; inside = 1; got = 0; next }
	     inside && $0 == "ctl-ok-main" { got = 1; next }
	     /^%end / && inside { if (got && $3 == n) ok = 1; inside = 0 }
	     END { exit !ok }' <<<"$out" ||
		{ why="no %begin/ctl-ok-main/%end reply in: $(echo $out)"; return 1; }
	grep -qx '%exit' <<<"$out" || { why="no %exit when stdin ended"; return 1; }
}
check tmux.control-mode control

killed() {
	tm kill-server || { why="kill-server failed"; return 1; }
	wait_for 10 eval '! alive $pid' || { why="server still running 10 s after kill-server"; return 1; }
	! tm has-session 2>/dev/null || { why="server still answers"; return 1; }
}
check tmux.kill-server killed
