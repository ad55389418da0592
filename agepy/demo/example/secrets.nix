# agepy example: the repository of the Matrix + Heisenbridge walkthrough, after setup.
#
# WARNING: every key below is a PUBLIC TEST KEY. Their private halves are committed in
# ./keys/ for the demo and the tests. Never encrypt anything real to them.
let
  # People who may read and edit the secrets (their ~/.ssh/id_ed25519.pub).
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBQdQ8HvSEG5WCxGtUW7FYeRrALkqTOU9Ltj2tNJILbV alice@laptop";
  users = [ alice ];

  # Hosts (agepy add-host NAME ADDRESS): the key agenix decrypts with at activation.
  matrix = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCq1cwiC52JkC/HwE3cZINLp/25Tnl3WcnStlT/qs+XphmBxMXtAKuk9HQ/4HuZzcJt1bzOw6tcBvxfDZ30F1yXcBuOoMEXyHxGhf4/MCzuNEZlnixhHV6mABbkaFc7uSiyLP2slrw9zkeTv78TJHnQByDP6pnrZvKqKES6Lfh3v2VbIMJyxOcLhBT1blzatgH0cdh54IjQMkTq5PqsXbgfrFL0Rr6ZK6GF5NwwVO+T6Cf4j8NQ4NH78UvY4R558hC5vHqfk1KCH8boIAEczA7CSKvdCr4MVedcB+btfzbQgoKOBX6Y4w8VFAoFvL+T3yEJYq4Z1rOrtDOVSVKYJeEFlxoYlVEBrGXdN66LcSyRIzFxv/xU3DLL/t7KplZ5rOh8Lp3zJIVBdB9t3cSbiKVLr1JmUyjMK7yrtbGs+miA//deIPQecVtUg6PdCUAP4ozkTfvf8LMf1r7uwgKsgH/51PXiGU6LGVaVL3bseQllsv/Js/YMvPOU7mDIHXXI4ns="; # matrix.example.com, ssh-rsa like the walkthrough
  backup = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILULyWe+2dKe4hlgFsxq/fG4gY9+mrUkFCMgMBMFGNO6";
in
{
  # Heisenbridge's appservice registration (agepy encrypt heisenbridge-config).
  "heisenbridge-config.age".publicKeys = users ++ [ matrix ];

  # CONDUIT_REGISTRATION_TOKEN=… for systemd's EnvironmentFile.
  "conduit-env.age".publicKeys = users ++ [ matrix ];

  # restic's repository password, for the backup host only.
  "restic-password.age".publicKeys = users ++ [ backup ];
}
