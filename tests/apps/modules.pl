# modules.pl - Perl with its compiled (XS) modules, each a shared object
# perl dlopens at run time, for tests/e2e/test_apps.py. Only perl-base's
# modules, so the image needs no more than that package's tree.
use strict;
use warnings;
use POSIX qw(floor ceil strftime fmod);
use List::Util qw(sum max min first reduce);
use Socket qw(inet_aton inet_ntoa pack_sockaddr_in unpack_sockaddr_in);
use Fcntl qw(O_RDONLY O_WRONLY O_CREAT SEEK_END);
use File::Glob qw(bsd_glob);
use Cwd qw(getcwd);
use IO::Handle;

print "posix ", floor(-2.5), " ", ceil(2.1), " ", fmod(10, 3), " ",
    strftime("%Y-%m-%d %H:%M:%S", gmtime(86400 * 365)), "\n";
print "list ", sum(1 .. 1000), " ", max(4, 17, 9), " ", min(4, 17, 9), " ",
    first { $_ > 10 } (3, 8, 12, 20);
print " ", (reduce { $a * $b } 1 .. 20), "\n";
my $sa = pack_sockaddr_in(8080, inet_aton("10.0.2.15"));
my ($port, $ip) = unpack_sockaddr_in($sa);
print "socket ", inet_ntoa($ip), ":", $port, "\n";

my $dir = $ARGV[0] // ".";
for my $n (qw(b a c)) {
    sysopen(my $fh, "$dir/perl-$n.txt", O_WRONLY | O_CREAT) or die "open: $!";
    print $fh "$n" x 3, "\n";
    close $fh;
}
print "glob ", join(",", map { s{.*/}{}r } bsd_glob("$dir/perl-*.txt")), "\n";
sysopen(my $in, "$dir/perl-c.txt", O_RDONLY) or die;
print "read ", scalar(<$in>);
print "seek ", sysseek($in, 0, SEEK_END), "\n";
unlink bsd_glob("$dir/perl-*.txt");
my %h = map { $_ => length $_ } qw(kiln unikernel perl);
print "hash ", join(" ", map {"$_=$h{$_}"} sort keys %h), "\n";
my $s = "2026-12-06 kiln 42";
my ($y, $w, $n) = $s =~ /^(\d{4})-\d\d-\d\d (\w+) (\d+)$/;
print "regex $y $w ", $n * 2, "\n";
exit 4;
