--[[
  Calls `fn` with the subscriber set key of each component in a comma-joined list; the empty list
  means every component, whose set is `allKey`. Component sets are `<setStem><component id>`.
]]
local function eachSubscriberSet(allKey, setStem, list, fn)
  if list == '' then
    fn(allKey)
    return
  end
  for component in string.gmatch(list, '[^,]+') do fn(setStem .. component) end
end
