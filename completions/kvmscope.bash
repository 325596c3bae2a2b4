# bash completion for kvmscope(1).  Installed by `meson install` as
# share/bash-completion/completions/kvmscope; or: source completions/kvmscope.bash
#
# Control command names and their argument names come from the kvmscope
# being completed (`kvmscope ctl --help`), so they cannot go stale;
# tests/docs/check_docs.py (make check) checks the option lists below
# against src/cli/run_options.c and cmd_ctl.c.

_kvmscope_run_opts="--kernel -k --initrd -i --append -a --mem -m --cpus -c
	--serial --cpu-template --cpu-features --kvm-device --on-reboot --on-fatal
	--api-sock
	--paused --gdb --symbols --disk --net --rng --no-rng --device --stats --verbose -v
	--help -h"
_kvmscope_ctl_opts="--json -j --timeout -t --help -h"
_kvmscope_top_opts="--once --interval --symbols --help -h"

# The commands section of `kvmscope ctl --help`: "NAME ARG=... ARG=..." lines.
_kvmscope_ctl_table() {
	"$1" ctl --help 2>/dev/null | awk '
		/^commands:/ { on = 1; next }
		on && /^$/ { exit }
		on && /^  [a-z_][a-z0-9_-]*/ {
			line = $1
			for (i = 2; i <= NF; i++)
				if ($i ~ /=/) {
					a = $i
					gsub(/[][()|]/, "", a)
					sub(/=.*/, "=", a)
					line = line " " a
				}
			print line
		}'
}

_kvmscope() {
	local cur prev prog sub i nonopt cmd
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	prog=${COMP_WORDS[0]}

	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "run ctl top help version --version --help" -- "$cur"))
		return
	fi
	sub=${COMP_WORDS[1]}
	# bash splits words at = and : (COMP_WORDBREAKS): "file:PATH" arrives
	# as file : PATH, "gpa=0x1000" as gpa = 0x1000.
	case $cur in = | :) return ;; esac
	if [ "$prev" = : ]; then
		case ${COMP_WORDS[COMP_CWORD - 2]} in
		file | unix) COMPREPLY=($(compgen -f -- "$cur")) ;;
		esac
		return
	fi
	[ "$prev" = = ] && return

	case $sub in
	run)
		case $prev in
		--kernel | -k | --initrd | -i | --symbols | --kvm-device | --api-sock)
			COMPREPLY=($(compgen -f -- "$cur"))
			return ;;
		--serial)
			COMPREPLY=($(compgen -W "stdio none file:" -- "$cur"))
			case $cur in file:*) COMPREPLY=($(compgen -P file: -f -- "${cur#file:}")) ;; esac
			return ;;
		--cpu-template)
			COMPREPLY=($(compgen -W "auto host pvm-safe" -- "$cur"))
			return ;;
		--cpu-features)
			return ;;
		--on-reboot)
			COMPREPLY=($(compgen -W "exit restart" -- "$cur"))
			return ;;
		--on-fatal)
			COMPREPLY=($(compgen -W "pause exit" -- "$cur"))
			return ;;
		--gdb)
			COMPREPLY=($(compgen -W "tcp: unix:" -- "$cur"))
			case $cur in unix:*) COMPREPLY=($(compgen -P unix: -f -- "${cur#unix:}")) ;; esac
			return ;;
		--append | -a | --mem | -m | --cpus | -c)
			return ;;
		esac
		COMPREPLY=($(compgen -W "$_kvmscope_run_opts" -- "$cur"))
		;;
	top)
		case $prev in
		--interval) return ;;
		--symbols)
			COMPREPLY=($(compgen -f -- "$cur"))
			return ;;
		esac
		case $cur in
		-*) COMPREPLY=($(compgen -W "$_kvmscope_top_opts" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -f -- "$cur")) ;;
		esac
		;;
	ctl)
		# Words after ctl that are not options (or --timeout's value):
		# the first is SOCKET, the second COMMAND.
		nonopt=0
		cmd=
		for ((i = 2; i < COMP_CWORD; i++)); do
			case ${COMP_WORDS[i]} in
			--timeout | -t) i=$((i + 1)) ;;
			-*) ;;
			*)
				nonopt=$((nonopt + 1))
				[ "$nonopt" -eq 2 ] && cmd=${COMP_WORDS[i]}
				;;
			esac
		done
		case $prev in
		--timeout | -t) return ;;
		esac
		case $cur in
		-*)
			COMPREPLY=($(compgen -W "$_kvmscope_ctl_opts" -- "$cur"))
			return ;;
		esac
		case $nonopt in
		0) COMPREPLY=($(compgen -f -- "$cur")) ;;
		1) COMPREPLY=($(compgen -W "$(_kvmscope_ctl_table "$prog" | cut -d' ' -f1)" -- "$cur")) ;;
		*)
			COMPREPLY=($(compgen -W "$(_kvmscope_ctl_table "$prog" |
				awk -v c="$cmd" '$1 == c { for (i = 2; i <= NF; i++) print $i }') pause=" -- "$cur"))
			compopt -o nospace 2>/dev/null
			;;
		esac
		;;
	esac
}
complete -F _kvmscope kvmscope
