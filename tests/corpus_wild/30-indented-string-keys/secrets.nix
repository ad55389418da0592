let
  trim = s: builtins.replaceStrings [ "\n" ] [ "" ] s;
  alice = trim ''
    ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S
  '';
  rsa = trim ''
    ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDVzjx2Gdj4Yey4F/dqw1QNZ5ztaHzYoYyJtHZDu6c2X2ysnsdYwiPSu93G9XyNTrbLMQFEqk+5gaOo4ZxGcbSKGjamGakdwcuH3v8Ts5fFkDA4G4QPvVnlnZ8s0Tvvv4JWGwtpLVMdszCUT74KZlQf635at/Uld5ujy3+x+bUpKMpMTM2EBEnRpr6tyxjAdBEcYEFc2cIixXOhPlCGCdji1TWzjzpVARyiZuHHDJ26QuiVhU/fk7puKs68GeEyk6Xt0OlvjLrpoPyEDUAdH8NvfW9AVltXSDLvAuon5KYVlNUi9h4YVVWCn/YTzmOA/IHnHeib5bR82iEZoAfcwWYB
  '';
in
{
  "indented.age".publicKeys = [ alice rsa ];
}
