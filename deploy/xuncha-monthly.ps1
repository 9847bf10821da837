# Windows Task Scheduler action for xuncha monthly (see README, 「Windows 定时任务」).
# Program: powershell.exe   Arguments: -NoProfile -ExecutionPolicy Bypass -File C:\xuncha\deploy\xuncha-monthly.ps1
Set-Location -Path (Split-Path -Parent $PSScriptRoot)
& .\.venv\Scripts\xuncha.exe monthly
exit $LASTEXITCODE
